// The per-resource answers of a batch write that an engine outage interrupted (store/outage.ts classifies).
import { ScimError } from '../../errors/scim-error.js';

const RETRY_AFTER = { 'Retry-After': '5' };

/** For one resource of a batch: the engine failed before it was stored. */
export function notStored(): ScimError {
  return new ScimError('unavailable', 'The identity store became unavailable before this resource was stored; retry it', RETRY_AFTER);
}

/** For one resource of a batch: the engine failed while it was being stored and could not be asked afterwards. */
export function maybeStored(): ScimError {
  return new ScimError('unavailable', 'The identity store became unavailable while this resource was being stored, and it may have been: look it up by its name before retrying', RETRY_AFTER);
}
