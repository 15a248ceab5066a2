import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ScimError } from '../errors/scim-error.js';
import type { KeysetPosition, SortValue } from '../store/contract.js';
import { CURSOR_TIMEOUT_SECONDS } from './limits.js';

/**
 * RFC 9865 cursors: opaque base64url (unreserved characters only) of a keyset position, the
 * query it belongs to and when it was issued, then `.` and an HMAC-SHA256 of that text under the
 * deployment's cursor key (kept in the database, the same for every process). Nothing else is kept
 * on the server, so any instance can continue a walk, and resources deleted between pages never
 * shift it. A cursor the server did not issue, or one altered by a single character, is refused
 * (invalidCursor) before anything in it is read; and what it carries is only ever an operand.
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

/** The name of the deployment secret that signs cursors (SecretStore). */
export const CURSOR_SECRET = 'cursor-hmac';

const CURSOR = /^([A-Za-z0-9_-]{1,2048})\.([A-Za-z0-9_-]{43})$/;

export interface CursorCodec {
  encode(fingerprint: string, position: KeysetPosition, now?: number): string;
  decode(text: string, fingerprint: string, now?: number): KeysetPosition;
}

export function createCursorCodec(key: Uint8Array): CursorCodec {
  const sign = (payload: string) => createHmac('sha256', key).update(payload).digest();
  return {
    encode(fingerprint, position, now = Date.now()) {
      const payload: CursorPayload = { q: fingerprint, v: encodeValue(position.sortValue), i: position.id, d: position.direction === 'after' ? 'a' : 'b', t: Math.floor(now / 1000) };
      const text = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `${text}.${sign(text).toString('base64url')}`;
    },
    decode(text, fingerprint, now = Date.now()) {
      const [, payloadText, signature] = CURSOR.exec(text) ?? [];
      if (payloadText === undefined || signature === undefined) throw invalid();
      const presented = Buffer.from(signature, 'base64url');
      const expected = sign(payloadText);
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) throw invalid();
      return decodePayload(payloadText, fingerprint, now);
    },
  };
}

function decodePayload(text: string, fingerprint: string, now: number): KeysetPosition {
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
