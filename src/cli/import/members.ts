import { ScimError } from '../../errors/scim-error.js';
import type { ImportRecord } from './records.js';
import type { ImportTarget, MemberRef } from './targets.js';

/** Lookups in flight for one group's members. */
const LOOKUPS_IN_FLIGHT = 16;
const LISTED_MISSING = 10;

const describe = (ref: MemberRef) => (ref.by === 'value' ? `id "${ref.key}"` : `${ref.by} "${ref.key}"`);

/** A member entry names its id (`value`), or a user by `userName` or `externalId` (users in the file or stored). */
function memberRef(entry: unknown, index: number): MemberRef {
  const member = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : {};
  const named = (['value', 'userName', 'externalId'] as const).filter((by) => member[by] !== undefined);
  const by = named[0];
  const key = by === undefined ? undefined : member[by];
  if (named.length !== 1 || typeof key !== 'string' || key === '') {
    throw new ScimError('invalidValue', `members[${index}] must name its member by exactly one of "value" (an id), "userName" or "externalId", as a non-empty string`);
  }
  return { by: by as MemberRef['by'], key };
}

/** The ids of the members a group record names; refused as a whole when any cannot be found. */
export async function resolveMembers(record: ImportRecord, target: ImportTarget): Promise<string[]> {
  const entries = record.body['members'] ?? [];
  if (!Array.isArray(entries)) throw new ScimError('invalidSyntax', '"members" must be an array');
  const refs = entries.map(memberRef);
  const ids: (string | undefined)[] = new Array(refs.length);
  let next = 0;
  const worker = async () => {
    while (next < refs.length) {
      const index = next++;
      ids[index] = await target.memberId(refs[index] as MemberRef);
    }
  };
  await Promise.all(Array.from({ length: Math.min(LOOKUPS_IN_FLIGHT, refs.length) }, worker));
  const missing = refs.filter((_, index) => ids[index] === undefined);
  if (missing.length > 0) {
    const listed = missing.slice(0, LISTED_MISSING).map(describe).join(', ');
    throw new ScimError('unresolvedReference', `members not found: ${listed}${missing.length > LISTED_MISSING ? ` and ${missing.length - LISTED_MISSING} more` : ''}`);
  }
  return [...new Set(ids as string[])];
}
