/** Limits advertised in /ServiceProviderConfig and enforced by the handlers: one source for both. */
export const LIMITS = Object.freeze({
  /** filter.maxResults: the most resources one list response carries. */
  maxResults: 200,
  /** The largest request body accepted, in bytes. */
  maxBodyBytes: 1024 * 1024,
  maxFilterLength: 4096,
  maxFilterDepth: 32,
});
