/**
 * The one error catalogue: every failure the server reports has a stable code here, mapped to the
 * HTTP status and SCIM scimType of RFC 7644 §3.12. Codes are part of our contract with operators
 * (they appear in logs and docs); never renumber or reuse one.
 */
export const ERROR_CATALOGUE = {
  invalidFilter: { status: 400, scimType: 'invalidFilter' },
  tooMany: { status: 400, scimType: 'tooMany' },
  invalidSyntax: { status: 400, scimType: 'invalidSyntax' },
  invalidPath: { status: 400, scimType: 'invalidPath' },
  noTarget: { status: 400, scimType: 'noTarget' },
  invalidValue: { status: 400, scimType: 'invalidValue' },
  invalidVersion: { status: 400, scimType: 'invalidVers' },
  mutability: { status: 400, scimType: 'mutability' },
  invalidCursor: { status: 400, scimType: 'invalidCursor' },
  expiredCursor: { status: 400, scimType: 'expiredCursor' },
  invalidCount: { status: 400, scimType: 'invalidCount' },
  sensitive: { status: 400, scimType: 'sensitive' },
  /** A request URI that does not decode (broken percent-encoding): no SCIM scimType fits it. */
  malformedUri: { status: 400 },
  unauthorized: { status: 401 },
  forbidden: { status: 403 },
  /** A valid credential without the scope the request needs (RFC 6750 §3.1 insufficient_scope). */
  insufficientScope: { status: 403 },
  notFound: { status: 404 },
  methodNotAllowed: { status: 405 },
  uniqueness: { status: 409, scimType: 'uniqueness' },
  unresolvedReference: { status: 409, scimType: 'invalidValue' },
  /** A change the resource's current state does not allow (RFC 7644 §3.12 "mutability": "… or current state"), e.g. activating a closed campaign. */
  invalidState: { status: 409, scimType: 'mutability' },
  preconditionFailed: { status: 412 },
  payloadTooLarge: { status: 413 },
  unsupportedMediaType: { status: 415 },
  tooManyRequests: { status: 429 },
  internal: { status: 500 },
  notImplemented: { status: 501 },
  unavailable: { status: 503 },
  /** The request's deadline passed before its reads finished (REQUEST_TIMEOUT_MS). */
  deadlineExceeded: { status: 503 },
  /** The credential already runs as many expensive queries as it may at once. */
  expensiveQueriesBusy: { status: 503 },
} as const satisfies Record<string, { status: number; scimType?: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
