import { runProgram, UsageError } from '../../src/cli/run.js';

export interface BenchOption {
  default: string;
  description: string;
  /** The value's placeholder in the help (default "<n>"). */
  value?: string;
}

/**
 * A benchmark script as a command (src/cli/run.ts): --help, --version, usage errors and exit
 * statuses as every CLI has them; its options are strings with defaults, read by `main`.
 */
export function benchmark<const T extends Record<string, BenchOption>>(
  script: string,
  spec: { summary: string; description?: string; options: T; main(args: { [K in keyof T]: string }): Promise<void>; database?: boolean },
): void {
  runProgram({
    name: `bench:${script}`,
    invocation: `npm run bench:${script} --`,
    direct: `node dist/bench/${script}.js`,
    command: {
      synopsis: '[options]',
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      options: Object.fromEntries(Object.entries(spec.options).map(([name, option]) => [name, { type: 'string' as const, value: option.value ?? '<n>', default: option.default, description: option.description }])),
      footer: `${spec.database === false ? '' : 'Without MONGODB_URI it starts an embedded engine on a temporary directory (removed at the end).\n'}Results: docs/benchmarks.md (how to rerun each benchmark, and its numbers).`,
      async run(args) {
        await spec.main(Object.fromEntries(Object.keys(spec.options).map((name) => [name, args.required(name)])) as { [K in keyof T]: string });
        return 0;
      },
    },
  });
}

/** 10000, 10_000, 10k or 1M; anything else is a usage error naming the option. */
export function count(name: string, text: string): number {
  const match = /^(\d[\d_]*)([kKmM]?)$/.exec(text.trim());
  if (!match) throw new UsageError(`--${name} must be a whole number (10000, 10k, 1M), not "${text}"`);
  const base = Number((match[1] as string).replace(/_/g, ''));
  const unit = match[2]?.toLowerCase();
  return base * (unit === 'k' ? 1_000 : unit === 'm' ? 1_000_000 : 1);
}
