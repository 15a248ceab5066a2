import { createHash } from 'node:crypto';
import { ScimError } from '../errors/scim-error.js';
import type { KeysetPosition, SortValue } from '../store/contract.js';
import { CURSOR_TIMEOUT_SECONDS } from './limits.js';

/**
 * RFC 9865 cursors: opaque base64url (unreserved characters only) of a keyset position, the
 * query it belongs to and when it was issued. Nothing is kept on the server, so any instance can
 * continue a walk, and resources deleted between pages never shift it. A cursor carries operands
 * only; it is validated strictly and can never select outside the tenant and query it is used with.
 */

type EncodedValue = null | { s: string } | { n: number } | { b: boolean } | { d: string };

interface CursorPayload {
  q: string;
  v: EncodedValue;
  i: string;
  d: 'a' | 'b';
  t: number;
}

/** Identifies a query, so a cursor from another filter or order is refused rather than misread. */
export function queryFingerprint(parts: readonly (string | boolean | undefined)[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

function encodeValue(value: SortValue): EncodedValue {
  if (value === null) return null;
  if (value instanceof Date) return { d: value.toISOString() };
  if (typeof value === 'string') return { s: value };
  if (typeof value === 'number') return { n: value };
  return { b: value };
}

function decodeValue(value: unknown): SortValue {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid();
  const entries = Object.entries(value as Record<string, unknown>);
  const [kind, raw] = entries[0] ?? [];
  if (entries.length !== 1) throw invalid();
  if (kind === 's' && typeof raw === 'string') return raw;
  if (kind === 'n' && typeof raw === 'number' && Number.isFinite(raw)) return raw;
  if (kind === 'b' && typeof raw === 'boolean') return raw;
  if (kind === 'd' && typeof raw === 'string' && !Number.isNaN(Date.parse(raw))) return new Date(raw);
  throw invalid();
}

const invalid = () => new ScimError('invalidCursor', 'The cursor is not valid: send an empty cursor for the first page, then nextCursor or previousCursor values');

export function encodeCursor(fingerprint: string, position: KeysetPosition, now = Date.now()): string {
  const payload: CursorPayload = { q: fingerprint, v: encodeValue(position.sortValue), i: position.id, d: position.direction === 'after' ? 'a' : 'b', t: Math.floor(now / 1000) };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

export function decodeCursor(text: string, fingerprint: string, now = Date.now()): KeysetPosition {
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(text)) throw invalid();
  let payload: Partial<CursorPayload>;
  try {
    payload = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<CursorPayload>;
  } catch {
    throw invalid();
  }
  if (typeof payload !== 'object' || payload === null || payload.q !== fingerprint || typeof payload.i !== 'string' || (payload.d !== 'a' && payload.d !== 'b') || typeof payload.t !== 'number') {
    throw invalid();
  }
  if (now / 1000 - payload.t > CURSOR_TIMEOUT_SECONDS) {
    throw new ScimError('expiredCursor', `The cursor has expired: cursors are valid for ${CURSOR_TIMEOUT_SECONDS} seconds`);
  }
  return { sortValue: decodeValue(payload.v), id: payload.i, direction: payload.d === 'a' ? 'after' : 'before' };
}
