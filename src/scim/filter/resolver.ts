export type ScimType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'binary' | 'complex';

/** What the storage layer says about one attribute path. */
export interface AttributeInfo {
  /** MongoDB dotted field path where the value is stored, e.g. "data.emails" or "data.emails.value". */
  field: string;
  type: ScimType;
  caseExact: boolean;
  multiValued: boolean;
  /** A stored lower-cased copy of the value; when present, eq/ne/sw/co/ew/gt/... on a caseExact:false string use it with the lower-cased operand instead of a case-insensitive regex. */
  lowercaseField?: string;
  /**
   * A stored sort key: "1" + the value (lower-cased unless caseExact) when present, "2" when absent.
   * Sorting on it orders case-insensitively with absent values last (RFC 7644 §3.4.2.3), and
   * ordering comparisons (gt, ge, lt, le) use it with the same encoding of the operand.
   */
  sortKeyField?: string;
  /**
   * dateTime values stored as the text scimmy's validation writes (`Date#toISOString()`, one fixed
   * UTC format), whose string order is time order: compared with the operand in that form. Without
   * it, a dateTime is stored as a BSON date (meta.created, lifecycle).
   */
  dateAsText?: boolean;
}

export interface AttributeResolver {
  /**
   * Resolves a full attribute path, case-insensitively, e.g. "userName", "name.givenName",
   * "emails", "emails.value", "meta.lastModified", "id",
   * "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
   * "urn:ietf:params:scim:schemas:core:2.0:User:userName", or an extension attribute without its URN
   * ("department") when exactly one extension defines it.
   * Returns undefined for unknown attributes (the translator then throws invalidFilter), and
   * throws invalidPath for a name several extensions define.
   */
  resolve(path: string): AttributeInfo | undefined;
}
