import { MongoNetworkError, MongoNotConnectedError, MongoServerSelectionError, MongoTopologyClosedError } from 'mongodb';
import { ScimError } from '../../errors/scim-error.js';

/** Driver errors that mean the command never left for the engine (a cleared pool's name included). */
const UNREACHABLE_BEFORE_SENDING = [MongoServerSelectionError, MongoNotConnectedError, MongoTopologyClosedError];
const POOL_CLEARED = new Set(['MongoPoolClearedError', 'PoolClearedOnNetworkError']);

/**
 * insertMany reports a failure to talk to the engine (a refused or broken connection) as a
 * MongoBulkWriteError that carries neither write errors nor a server's error code.
 */
function wrapsNetworkFailure(error: Error): boolean {
  const { writeErrors, code } = error as { writeErrors?: unknown[]; code?: unknown };
  return error.name === 'MongoBulkWriteError' && (writeErrors?.length ?? 0) === 0 && code === undefined;
}

/**
 * What an engine outage left of a write: `not sent` when the command never reached the engine,
 * `unknown` when it may have (the connection broke before the answer); undefined when the error is
 * not an outage (the engine refused the write, or a bug).
 */
export function outageOutcome(error: unknown): 'not sent' | 'unknown' | undefined {
  if (!(error instanceof Error)) return undefined;
  if (UNREACHABLE_BEFORE_SENDING.some((kind) => error instanceof kind) || POOL_CLEARED.has(error.name)) return 'not sent';
  return error instanceof MongoNetworkError || wrapsNetworkFailure(error) ? 'unknown' : undefined;
}

const RETRY_AFTER = { 'Retry-After': '5' };

/** For one resource of a batch: the engine failed before it was stored. */
export function notStored(): ScimError {
  return new ScimError('unavailable', 'The identity store became unavailable before this resource was stored; retry it', RETRY_AFTER);
}

/** For one resource of a batch: the engine failed while it was being stored and could not be asked afterwards. */
export function maybeStored(): ScimError {
  return new ScimError('unavailable', 'The identity store became unavailable while this resource was being stored, and it may have been: look it up by its name before retrying', RETRY_AFTER);
}
