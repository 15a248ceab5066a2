import { EXIT } from './run.js';

export interface Interrupts {
  /** The first signal received, once one was. */
  readonly signal: NodeJS.Signals | undefined;
  dispose(): void;
}

/**
 * The first Ctrl-C (or SIGTERM) asks the command to stop at the next safe point, keeping what it
 * did; a second one exits at once (status 130). `first` and `again` say so to the operator.
 */
export function watchInterrupts(first: (signal: NodeJS.Signals) => void, again: (signal: NodeJS.Signals) => void): Interrupts {
  let received: NodeJS.Signals | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (received) {
      again(signal);
      process.exit(EXIT.interrupted);
    }
    received = signal;
    first(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    get signal() {
      return received;
    },
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
