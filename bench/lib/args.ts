import { parseArgs } from 'node:util';

/** `--name value` options, all strings with defaults; numbers accept 10_000 and 10k/1M. */
export function options<const T extends Record<string, string>>(defaults: T): { [K in keyof T]: string } {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: Object.fromEntries(Object.entries(defaults).map(([name, value]) => [name, { type: 'string', default: value }])),
    strict: true,
  });
  return values as { [K in keyof T]: string };
}

export function count(name: string, text: string): number {
  const match = /^(\d[\d_]*)([kKmM]?)$/.exec(text.trim());
  if (!match) throw new Error(`--${name} must be a whole number (10000, 10k, 1M), got "${text}"`);
  const base = Number((match[1] as string).replace(/_/g, ''));
  const unit = match[2]?.toLowerCase();
  return base * (unit === 'k' ? 1_000 : unit === 'm' ? 1_000_000 : 1);
}
