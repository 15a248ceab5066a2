// The one place that tells an unreachable database from a refusal or a bug: the HTTP error handler
// answers 503, Bulk and batch creates report per resource, the CLIs tell the operator.
import { MongoNetworkError } from 'mongodb';

/**
 * The driver's errors for a command that never left for the engine (no server selected, client not
 * connected or closed, a cleared pool). Matched by name: that is what the driver documents, and
 * what the crash tests inject (test/support/faults.ts).
 */
const NOT_SENT = new Set(['MongoServerSelectionError', 'MongoNotConnectedError', 'MongoTopologyClosedError', 'MongoPoolClearedError', 'PoolClearedOnNetworkError']);

/** The driver's errors for a connection that broke after the command may have reached the engine. */
const MAYBE_SENT = new Set(['MongoNetworkError', 'MongoNetworkTimeoutError']);

/**
 * insertMany reports a failure to talk to the engine (a refused or broken connection) as a
 * MongoBulkWriteError that carries neither write errors nor a server's error code.
 */
function wrapsNetworkFailure(error: Error): boolean {
  const { writeErrors, code } = error as { writeErrors?: unknown[]; code?: unknown };
  return error.name === 'MongoBulkWriteError' && (writeErrors?.length ?? 0) === 0 && code === undefined;
}

/**
 * A socket error the driver lets through unwrapped when the engine dies while a command is being
 * written (seen as `write EPIPE` from Connection.writeCommand when the engine is killed mid-load).
 */
const SOCKET_FAILURES = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ENOTCONN', 'ECONNABORTED']);

function isSocketFailure(error: Error): boolean {
  const { code, syscall } = error as NodeJS.ErrnoException;
  return typeof syscall === 'string' && typeof code === 'string' && SOCKET_FAILURES.has(code);
}

/**
 * What an engine outage left of a write: `not sent` when the command never reached the engine,
 * `unknown` when it may have (the connection broke before the answer); undefined when the error is
 * not an outage (the engine refused the write, or a bug).
 */
export function outageOutcome(error: unknown): 'not sent' | 'unknown' | undefined {
  if (!(error instanceof Error)) return undefined;
  if (NOT_SENT.has(error.name)) return 'not sent';
  return MAYBE_SENT.has(error.name) || error instanceof MongoNetworkError || wrapsNetworkFailure(error) || isSocketFailure(error) ? 'unknown' : undefined;
}

/** True when the error means the database is down or unreachable: callers answer 503 or tell the operator so. */
export function isOutage(error: unknown): boolean {
  return outageOutcome(error) !== undefined;
}
