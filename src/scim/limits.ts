/** Limits advertised in /ServiceProviderConfig and enforced by the handlers: one source for both. */
export const LIMITS = Object.freeze({
  /** filter.maxResults: the most resources one list response carries. */
  maxResults: 200,
  /** The largest request body accepted, in bytes. */
  maxBodyBytes: 1024 * 1024,
  maxFilterLength: 4096,
  /** RFC 9865 cursorTimeout, in seconds. */
  cursorTimeoutSeconds: 3600,
  /** bulk.maxOperations and bulk.maxPayloadSize: 1,000 user creates fit comfortably. */
  maxBulkOperations: 1000,
  maxBulkPayloadBytes: 4 * 1024 * 1024,
  maxFilterDepth: 32,
});
