import { strict as assert } from 'node:assert';
import { comparedTargets, targetOf, type Mapping } from '../../src/cli/import/feed/mapping.js';
import { moverOperations, type Wanted } from '../../src/cli/import/feed/plan.js';
import type { ResourceRecord } from '../../src/store/contract.js';

const stored = (attributes: Record<string, unknown>) => ({ id: 'u1', tenant: 't', version: 3, created: new Date(), lastModified: new Date(), attributes, groupIds: [] }) as ResourceRecord;
const wanted = (entries: Record<string, unknown>): Wanted => new Map(Object.entries(entries).map(([path, value]) => [path, { target: targetOf(path), references: false, value }]));

describe('HR feed: the PATCH a mover gets', () => {
  it('replaces or removes each changed single-valued path, and only those', () => {
    const current = stored({ userName: 'ana@example.com', title: 'Clerk', name: { givenName: 'Ana', familyName: 'García' } });
    const operations = moverOperations(current, wanted({ title: 'Controller', 'name.familyName': undefined, userName: 'ana@example.com' }), ['title', 'name.familyName']);
    assert.deepEqual(operations, [
      { op: 'replace', path: 'title', value: 'Controller' },
      { op: 'remove', path: 'name.familyName' },
    ]);
  });

  it('one typed value of a multi-valued attribute: the list is replaced with that element changed, other types and primary kept', () => {
    const current = stored({ emails: [{ type: 'home', value: 'ana@home.example' }, { type: 'work', value: 'ana@example.com', primary: true }] });
    const path = 'emails[type eq "work"].value';
    assert.deepEqual(moverOperations(current, wanted({ [path]: 'ana.lopez@example.com' }), [path]), [
      { op: 'replace', path: 'emails', value: [{ type: 'home', value: 'ana@home.example' }, { type: 'work', value: 'ana.lopez@example.com', primary: true }] },
    ]);
    assert.deepEqual(moverOperations(current, wanted({ [path]: undefined }), [path]), [{ op: 'replace', path: 'emails', value: [{ type: 'home', value: 'ana@home.example' }] }], 'an emptied cell drops the element');
    assert.deepEqual(moverOperations(stored({}), wanted({ [path]: undefined }), [path]), [{ op: 'remove', path: 'emails' }]);
    assert.deepEqual(moverOperations(stored({}), wanted({ [path]: 'new@example.com' }), [path]), [{ op: 'replace', path: 'emails', value: [{ type: 'work', value: 'new@example.com' }] }], 'added when absent');
  });

  it('compares active too when no column maps it: everyone in the extract is active', () => {
    const mapping = { columns: [], impliesActive: true } as unknown as Mapping;
    assert.deepEqual(
      comparedTargets(mapping).map((entry) => entry.path),
      ['active'],
    );
  });
});
