import type { Config } from '../../config.js';
import { GROUP_RESOURCE, USER_RESOURCE } from '../../scim/schema-registry.js';
import { screenResourceBody, unknownAttributesError } from '../../scim/unknown-attributes.js';
import type { ImportRecord } from './records.js';

export interface UnknownAttributeScreen {
  /** The record without attributes no schema defines; under UNKNOWN_ATTRIBUTES=reject, the 400 POST would answer. */
  screen(record: ImportRecord): ImportRecord;
  /** Each attribute left out, with the number of records it was left out of, in the order first seen. */
  ignored(): { resource: string; path: string; records: number }[];
}

/**
 * Attributes no schema defines, as POST /Users and /Groups treat them (UNKNOWN_ATTRIBUTES): left
 * out and tallied, or the record is refused. A group's members are left to the import, which names
 * them by userName or externalId as no schema does and resolves them to ids.
 */
export function unknownAttributeScreen(mode: Config['unknownAttributes']): UnknownAttributeScreen {
  const ignored = new Map<string, { resource: string; path: string; records: number }>();
  return {
    ignored: () => [...ignored.values()].map((entry) => ({ ...entry })),
    screen(record) {
      const definition = record.kind === 'User' ? USER_RESOURCE : GROUP_RESOURCE;
      const { members, ...rest } = record.body;
      const screened = screenResourceBody(definition, record.kind === 'Group' ? rest : record.body);
      if (screened.unknown.length === 0) return record;
      if (mode === 'reject') throw unknownAttributesError('invalidSyntax', definition.name, screened.unknown);
      for (const path of screened.unknown) {
        const key = JSON.stringify([definition.name, path]);
        const entry = ignored.get(key) ?? { resource: definition.name, path, records: 0 };
        entry.records += 1;
        ignored.set(key, entry);
      }
      const body = screened.value as Record<string, unknown>;
      return { ...record, body: record.kind === 'Group' && 'members' in record.body ? { ...body, members } : body };
    },
  };
}
