import os from 'node:os';

/** The header every result block starts with: what ran, where, and how busy the machine was. */
export function runHeader(title: string, command: string, engine: string): string[] {
  const load = os.loadavg().map((value) => value.toFixed(2)).join(', ');
  return [
    `### ${title}`,
    '',
    `- date: ${new Date().toISOString()}`,
    `- command: \`${command}\``,
    `- machine: ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`,
    `- load average at the end (1, 5, 15 min): ${load} (other helpers share the machine)`,
    `- engine: ${engine}`,
    '',
  ];
}

export function table(header: string[], rows: (string | number)[][]): string[] {
  const align = header.map((_, index) => (rows.every((row) => typeof row[index] === 'number') ? '---:' : '---'));
  return [`| ${header.join(' | ')} |`, `| ${align.join(' | ')} |`, ...rows.map((row) => `| ${row.map(String).join(' | ')} |`)];
}

export function printBlock(lines: string[]): void {
  process.stdout.write(`\n${lines.join('\n')}\n`);
}

/** The command as one would type it again. */
export const commandLine = (script: string): string => `node dist/bench/${script}.js ${process.argv.slice(2).join(' ')}`.trim();

export function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1] as number;
}

export const fmt = (value: number, digits = 1): number => Number(value.toFixed(digits));
