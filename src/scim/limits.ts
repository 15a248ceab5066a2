/**
 * Request limits: advertised in /ServiceProviderConfig where SCIM has a field for them, enforced by
 * the handlers, set from the environment by src/config.ts. One shape for all three.
 */
export interface Limits {
  /** filter.maxResults: the most resources one list response carries (also the default page size). */
  readonly maxResults: number;
  /** The largest body of a request other than /Bulk, in bytes (413 above it). */
  readonly maxBodyBytes: number;
  readonly maxFilterLength: number;
  /** Nesting of parentheses, `not (…)` and value filters `a[…]` in one filter. */
  readonly maxFilterDepth: number;
  /** bulk.maxOperations and bulk.maxPayloadSize: 1,000 user creates fit comfortably. */
  readonly maxBulkOperations: number;
  readonly maxBulkPayloadBytes: number;
  /** Operations in one PATCH request (Okta sends up to 1,000 membership changes in one). */
  readonly maxPatchOperations: number;
  /** Member values added, replaced or removed by one PATCH request, all operations together. */
  readonly maxPatchMembers: number;
  /** Characters in one attribute path (PATCH path, attributes, excludedAttributes, sortBy). */
  readonly maxAttributePathLength: number;
  /**
   * Resources one request may read to check filter conditions in memory (correlated value paths
   * such as `emails[type eq "work" and value co "x"]`), all its value paths together.
   */
  readonly maxFilterCandidates: number;
}

export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxResults: 200,
  maxBodyBytes: 1024 * 1024,
  maxFilterLength: 4096,
  maxFilterDepth: 32,
  maxBulkOperations: 1000,
  maxBulkPayloadBytes: 4 * 1024 * 1024,
  maxPatchOperations: 1000,
  maxPatchMembers: 5000,
  maxAttributePathLength: 512,
  maxFilterCandidates: 50_000,
});

/** Nesting of objects and arrays in a request body; SCIM resources, PATCH and Bulk requests need fewer than 10. */
export const MAX_JSON_DEPTH = 64;

/** RFC 9865 cursorTimeout, in seconds: a property of the cursor format, not a tunable limit. */
export const CURSOR_TIMEOUT_SECONDS = 3600;
