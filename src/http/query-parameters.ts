import { ScimError } from '../errors/scim-error.js';
import { parseDateTime } from '../scim/date-time.js';

/**
 * The query parameters of an admin view, read strictly: an unknown or repeated parameter, or a
 * value of the wrong form, is a 400 naming the parameter, never silently ignored (a misspelt
 * filter would otherwise widen what an auditor sees without telling).
 */
export interface QueryParameters {
  text(name: string): string | undefined;
  /** An opaque value such as a cursor; empty counts as absent. */
  token(name: string): string | undefined;
  /** A whole number in [min, max]; above max it is capped (a larger page is not an error). */
  wholeNumber(name: string, fallback: number, min: number, max: number): number;
  /** An RFC 3339 date-time (UTC when it has no offset) or a full date (midnight UTC). */
  instant(name: string): Date | undefined;
  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined;
}

const MAX_TEXT = 256;
const MAX_TOKEN = 4096;

const invalid = (name: string, what: string) => new ScimError('invalidValue', `The query parameter "${name}" ${what}`);

export function queryParameters(query: unknown, known: readonly string[]): QueryParameters {
  const values = (query ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(values)) {
    if (!known.includes(name)) throw new ScimError('invalidValue', `Unknown query parameter "${name.slice(0, 64)}": this endpoint takes ${known.join(', ')}`);
    if (typeof value !== 'string') throw invalid(name, 'must be given once');
  }
  const raw = (name: string) => values[name] as string | undefined;

  function text(name: string): string | undefined {
    const value = raw(name);
    if (value === undefined) return undefined;
    if (value.length === 0 || value.length > MAX_TEXT) throw invalid(name, `must be 1 to ${MAX_TEXT} characters`);
    return value;
  }

  return {
    text,
    token(name) {
      const value = raw(name);
      if (value === undefined || value === '') return undefined;
      if (value.length > MAX_TOKEN) throw invalid(name, `must be at most ${MAX_TOKEN} characters`);
      return value;
    },
    wholeNumber(name, fallback, min, max) {
      const value = raw(name);
      if (value === undefined) return fallback;
      if (!/^\d{1,9}$/.test(value) || Number(value) < min) throw invalid(name, `must be a whole number of at least ${min}`);
      return Math.min(max, Number(value));
    },
    instant(name) {
      const value = raw(name);
      if (value === undefined) return undefined;
      const date = parseDateTime(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value, 'utcIfAbsent');
      if (!date) throw invalid(name, 'must be an RFC 3339 date-time such as 2026-12-04T09:30:00Z, or a date such as 2026-12-04');
      return date;
    },
    oneOf(name, allowed) {
      const value = text(name);
      if (value !== undefined && !(allowed as readonly string[]).includes(value)) throw invalid(name, `must be one of ${allowed.join(', ')}`);
      return value as (typeof allowed)[number] | undefined;
    },
  };
}
