import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config.js';

export type LogEntry = Record<string, unknown>;
export type Log = (entry: LogEntry) => void;

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

/**
 * Keys that must never reach a log line whatever a caller passes in: defence in depth behind the
 * rule that request logs carry no headers and no bodies.
 */
const REDACTED = ['authorization', 'password', 'token', '*.authorization', '*.password', '*.token', 'headers.authorization', 'req.headers.authorization'];

/**
 * One JSON line per entry on stderr (or `destination`), with secrets censored: `level` (pino's
 * numbers: 30 info, 40 warn, 50 error), `time` (ISO 8601) and `msg` on every line. Entries below
 * `level` (LOG_LEVEL) are dropped.
 */
export function createLogger(destination?: DestinationStream, level: LogLevel = 'info'): Logger {
  const options = { base: null, level, timestamp: pino.stdTimeFunctions.isoTime, redact: { paths: REDACTED, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options, pino.destination(2));
}

/** Adapts a pino logger to the `(entry) => void` shape the app and lifecycle take (tests capture it). */
export function logTo(logger: Logger): Log {
  return ({ level, msg, ...fields }) => {
    const method = typeof level === 'string' && LEVELS.has(level) ? (level as 'info') : 'info';
    logger[method](fields, typeof msg === 'string' ? msg : '');
  };
}
