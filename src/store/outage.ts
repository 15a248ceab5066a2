/** The driver's errors for a database that cannot be reached (as opposed to one that refused a command). */
const OUTAGE_ERRORS = new Set(['MongoServerSelectionError', 'MongoNetworkError', 'MongoNetworkTimeoutError', 'MongoNotConnectedError', 'MongoTopologyClosedError']);

/** True when the error means the database is down or unreachable: callers answer 503 or tell the operator so. */
export function isOutage(error: unknown): boolean {
  return error instanceof Error && OUTAGE_ERRORS.has(error.name);
}
