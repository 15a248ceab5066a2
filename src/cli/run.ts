// What every command-line program shares (the CLIs, the server's command line, the benchmarks): one
// argument parser (node:util parseArgs), generated --help, --version from package.json, errors as
// one line naming the command, and the exit statuses of docs/cli.md.
import { debuglog, parseArgs } from 'node:util';
import { ConfigError } from '../config.js';
import { PolicyError } from '../lifecycle/policy/load.js';
import { isOutage } from '../store/outage.js';
import { PACKAGE } from '../version.js';

/** Exit statuses, the same for every command (docs/cli.md). */
export const EXIT = Object.freeze({
  ok: 0,
  /** The command could not do its work (unreachable database, unreadable file, refused operation). */
  error: 1,
  /** Wrong arguments: nothing was done. */
  usage: 2,
  /** The command ran, but some input records were rejected (listed); the others were applied. */
  rejected: 3,
  /** Stopped by Ctrl-C or SIGTERM (128 + SIGINT); what was done is kept. */
  interrupted: 130,
});

/** A failure whose message is all the operator needs: one line, no stack. */
export class CliError extends Error {}

/** Wrong arguments: the message says which, the line adds where the help is. */
export class UsageError extends CliError {}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's placeholder in the help, e.g. "<name>". */
  value?: string;
  description: string;
  /** Applied when the option is absent (string options). */
  default?: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

export interface CommandSpec {
  /** What follows the command in the usage line, e.g. "--name <name> [options]" or "<file> [options]". */
  synopsis: string;
  /** One line: shown in the program's list of sub-commands and at the top of the command's help. */
  summary: string;
  /** Paragraphs after the summary. */
  description?: string;
  options: OptionSpecs;
  /** Positional arguments: their name in messages, and how many are accepted. */
  positionals?: { name: string; min: number; max: number };
  /** Lines at the end of the help (environment, examples). */
  footer?: string;
  /** Absent for a program that only reads its command line and goes on (the server). */
  run?(args: Arguments): Promise<number>;
}

type ErrorClass = abstract new (...args: never[]) => Error;

export interface Program {
  /** The command's name in messages: "tokens", "bench:generate". */
  name: string;
  /** How the operator runs it, e.g. "npm run tokens --" (shown in usage lines and hints). */
  invocation: string;
  /** The same without npm, e.g. "node dist/src/cli/tokens.js". */
  direct: string;
  /** A program with sub-commands has `commands`; otherwise `command`. */
  command?: CommandSpec;
  commands?: Record<string, CommandSpec>;
  /** For a program with sub-commands: one line describing it. */
  summary?: string;
  footer?: string;
  /** The statuses it can exit with, for the help (default ok, error, usage). */
  exits?: readonly (keyof typeof EXIT)[];
  /** Error classes whose message is all the operator needs (besides CliError, ConfigError and PolicyError). */
  known?: readonly ErrorClass[];
}

const COMMON_OPTIONS: OptionSpecs = {
  help: { type: 'boolean', short: 'h', description: 'show this help and exit' },
  version: { type: 'boolean', short: 'V', description: 'print the version and exit' },
};

const EXIT_MEANINGS: Record<keyof typeof EXIT, string> = { ok: 'done', error: 'error', usage: 'usage error', rejected: 'some records rejected', interrupted: 'interrupted' };

/** The help's last line: the statuses this program can exit with. */
function exitLine(program: Program): string {
  const statuses = program.exits ?? ['ok', 'error', 'usage'];
  return `Exit status: ${statuses.map((status) => `${EXIT[status]} ${EXIT_MEANINGS[status]}`).join(', ')} (docs/cli.md).`;
}

/** The parsed command line, with typed access that turns a bad value into a usage error. */
export class Arguments {
  constructor(
    private readonly values: ReadonlyMap<string, string | boolean>,
    private readonly specs: OptionSpecs,
    readonly positionals: readonly string[],
  ) {}

  has(name: string): boolean {
    return this.values.has(name);
  }

  flag(name: string): boolean {
    return this.values.get(name) === true;
  }

  string(name: string): string | undefined {
    const value = this.values.get(name);
    return typeof value === 'string' ? value : this.specs[name]?.default;
  }

  required(name: string): string {
    const value = this.string(name);
    if (value === undefined) throw new UsageError(`--${name} is required`);
    return value;
  }

  integer(name: string, min: number, max: number): number {
    const text = this.required(name);
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not "${text}"`);
    return value;
  }
}

/** Before `--`, "--help" or "-h" anywhere asks for help, even after an option that lacks its value. */
function asks(args: readonly string[], long: string, short: string): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === long || arg === short);
}

/** Parses with node:util parseArgs, then checks every token so each mistake gets its own message. */
export function parseCommandLine(spec: CommandSpec, args: readonly string[]): Arguments {
  const options = Object.fromEntries(Object.entries(spec.options).map(([name, option]) => [name, option.short ? { type: option.type, short: option.short } : { type: option.type }]));
  const { tokens, positionals } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  const values = new Map<string, string | boolean>();
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const option = spec.options[token.name];
    if (!option) throw new UsageError(`unknown option "${token.rawName}"`);
    if (values.has(token.name)) throw new UsageError(`--${token.name} is given twice`);
    if (option.type === 'boolean') {
      if (token.inlineValue) throw new UsageError(`--${token.name} takes no value`);
      values.set(token.name, true);
      continue;
    }
    // "--name --scopes x": parseArgs takes "--scopes" as the value; an operator means a missing one.
    if (token.value === undefined || token.value === '' || (!token.inlineValue && token.value.startsWith('-'))) throw new UsageError(`--${token.name} needs a value${option.value ? ` (${option.value})` : ''}`);
    values.set(token.name, token.value);
  }
  const limits = spec.positionals ?? { name: 'argument', min: 0, max: 0 };
  if (positionals.length < limits.min) throw new UsageError(`missing ${limits.name}`);
  if (positionals.length > limits.max) {
    throw new UsageError(`unexpected argument "${positionals[limits.max]}"${limits.max === 0 ? '' : ` (expected ${limits.max === 1 ? 'only' : `at most ${limits.max}:`} ${limits.name})`}`);
  }
  return new Arguments(values, spec.options, positionals);
}

function optionLines(options: OptionSpecs): string[] {
  const entries = Object.entries({ ...options, ...COMMON_OPTIONS }).map(([name, option]) => {
    const flag = `${option.short ? `-${option.short}, ` : '    '}--${name}${option.type === 'string' ? ` ${option.value ?? '<value>'}` : ''}`;
    const text = option.default !== undefined && option.default !== '' ? `${option.description} (default ${option.default})` : option.description;
    return [flag, text] as const;
  });
  const width = Math.max(...entries.map(([flag]) => flag.length)) + 2;
  return entries.map(([flag, text]) => `  ${flag.padEnd(width)}${text.split('\n').join(`\n  ${' '.repeat(width)}`)}`);
}

export function commandHelp(program: Program, sub: string | undefined, spec: CommandSpec): string {
  const head = `${program.invocation}${sub ? ` ${sub}` : ''}`;
  return [
    `usage: ${head} ${spec.synopsis}`.trimEnd(),
    ...(program.direct === program.invocation ? [] : [`   or: ${program.direct}${sub ? ` ${sub}` : ''} ${spec.synopsis}`.trimEnd()]),
    '',
    spec.summary,
    ...(spec.description ? ['', spec.description] : []),
    '',
    'options:',
    ...optionLines(spec.options),
    ...(spec.footer ? ['', spec.footer] : []),
    ...(program.footer ? ['', program.footer] : []),
    '',
    exitLine(program),
  ].join('\n');
}

function programHelp(program: Program): string {
  const commands = Object.entries(program.commands ?? {});
  const width = Math.max(...commands.map(([name]) => name.length)) + 2;
  return [
    `usage: ${program.invocation} <command> [options]`,
    ...(program.direct === program.invocation ? [] : [`   or: ${program.direct} <command> [options]`]),
    '',
    program.summary ?? '',
    '',
    'commands:',
    ...commands.map(([name, spec]) => `  ${name.padEnd(width)}${spec.summary}`),
    '',
    'options:',
    ...optionLines({}),
    '',
    `"${program.invocation} <command> --help" shows a command's options.`,
    ...(program.footer ? ['', program.footer] : []),
    '',
    exitLine(program),
  ].join('\n');
}

const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files',
};

/** "no such file or directory" for ENOENT…; undefined for anything that is not a system error. */
function systemErrorText(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? SYSTEM_ERRORS[code] : undefined;
}

/** "cannot read users.ndjson: no such file or directory": a file system error in the operator's words. */
export function fileError(verb: string, file: string, error: unknown): Error {
  const text = systemErrorText(error);
  return text ? new CliError(`cannot ${verb} ${file}: ${text}`) : (error as Error);
}

const debug = debuglog('cli');

/** Prints an error as lines that each start with the command's name; returns the exit status. */
export function reportError(program: Program, sub: string | undefined, error: unknown): number {
  const prefix = `${program.name}${sub ? ` ${sub}` : ''}`;
  const say = (line: string) => process.stderr.write(`${prefix}: ${line}\n`);
  if (error instanceof UsageError) {
    // A list of problems (a bad draft policy) gives one line per problem; the hint ends the last.
    const lines = error.message.split('\n');
    for (const line of lines.slice(0, -1)) say(line);
    say(`${lines.at(-1) ?? ''}; see "${program.invocation}${sub ? ` ${sub}` : ''} --help"`);
    return EXIT.usage;
  }
  // Configuration and policy mistakes are the operator's to fix, whichever program reads them.
  const known = [CliError, ConfigError, PolicyError, ...(program.known ?? [])].some((kind) => error instanceof kind);
  if (known) {
    // A list of problems ("invalid configuration:\n  A: …\n  B: …") gives one line per problem.
    const [first = '', ...rest] = (error as Error).message.split('\n').map((line) => line.trim());
    if (rest.length > 0 && first.endsWith(':')) for (const line of rest) say(`${first} ${line}`);
    else for (const line of [first, ...rest]) say(line);
    return EXIT.error;
  }
  const system = systemErrorText(error);
  const systemError = error as NodeJS.ErrnoException;
  if (system) say(systemError.path ? `cannot ${systemError.syscall ?? 'use'} ${systemError.path}: ${system}` : system);
  else if (isOutage(error)) say(`the database does not answer: ${(error as Error).message}`);
  else say(`internal error: ${error instanceof Error ? error.message : String(error)} (NODE_DEBUG=cli prints the stack)`);
  debug(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return EXIT.error;
}

/** Help, version or a command with its arguments; errors in the command line are UsageErrors. */
export type CommandLine = { kind: 'help'; text: string } | { kind: 'version' } | { kind: 'run'; sub: string | undefined; spec: CommandSpec; args: Arguments };

export function readCommandLine(program: Program, argv: readonly string[]): CommandLine {
  let sub: string | undefined;
  let spec = program.command;
  let rest = argv;
  if (program.commands) {
    const [first, ...others] = argv;
    if (first === undefined || first.startsWith('-')) {
      if (asks(argv, '--help', '-h')) return { kind: 'help', text: programHelp(program) };
      if (asks(argv, '--version', '-V')) return { kind: 'version' };
      if (first !== undefined) throw new UsageError(`unknown option "${first}" (a command comes first: ${Object.keys(program.commands).join(', ')})`);
      throw new UsageError(`missing command (${Object.keys(program.commands).join(', ')})`);
    }
    spec = program.commands[first];
    if (!spec) throw new UsageError(`unknown command "${first}" (${Object.keys(program.commands).join(', ')})`);
    sub = first;
    rest = others;
  }
  if (!spec) throw new Error(`${program.name}: a program needs a command or commands`);
  if (asks(rest, '--help', '-h')) return { kind: 'help', text: commandHelp(program, sub, spec) };
  if (asks(rest, '--version', '-V')) return { kind: 'version' };
  return { kind: 'run', sub, spec, args: parseCommandLine(spec, rest) };
}

const versionLine = () => `${PACKAGE.name} ${PACKAGE.version}`;

/**
 * For a program that keeps running (the server): --help and --version print and exit, a usage error
 * exits 2; otherwise the arguments are returned and the program goes on.
 */
export function commandLineOrExit(program: Program): Arguments {
  try {
    const line = readCommandLine(program, process.argv.slice(2));
    if (line.kind === 'run') return line.args;
    process.stdout.write(`${line.kind === 'help' ? line.text : versionLine()}\n`);
    process.exit(EXIT.ok);
  } catch (error) {
    process.exit(reportError(program, undefined, error));
  }
}

/** Runs the program on process.argv and exits with the command's status (or the error's). */
export function runProgram(program: Program): void {
  let sub: string | undefined;
  const execute = async (): Promise<number> => {
    const line = readCommandLine(program, process.argv.slice(2));
    if (line.kind === 'help') {
      process.stdout.write(`${line.text}\n`);
      return EXIT.ok;
    }
    if (line.kind === 'version') {
      process.stdout.write(`${versionLine()}\n`);
      return EXIT.ok;
    }
    sub = line.sub;
    if (!line.spec.run) throw new Error(`${program.name}: the command has nothing to run`);
    return line.spec.run(line.args);
  };
  execute().then(
    (code) => process.exit(code),
    (error: unknown) => {
      // A usage error before the sub-command is known still names the program.
      if (error instanceof UsageError && sub === undefined && program.commands) {
        const candidate = process.argv[2];
        if (candidate && program.commands[candidate]) sub = candidate;
      }
      process.exit(reportError(program, sub, error));
    },
  );
}
