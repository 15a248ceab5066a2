import { ConfigError } from '../config.js';
import { CliError } from './database.js';

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Runs a command's `main` and exits with its code. Errors the operator can act on (configuration,
 * input, an unreachable database, and the command's own `known` kinds) print one line naming the
 * command; anything else is a bug, so its stack is printed.
 */
export function runCli(name: string, main: (argv: string[]) => Promise<number>, known: readonly ErrorClass[] = []): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      const operatorError = [CliError, ConfigError, ...known].some((kind) => error instanceof kind);
      console.error(operatorError ? `[${name}] ${(error as Error).message}` : error);
      process.exit(1);
    },
  );
}
