import { strict as assert } from 'node:assert';
import { classify } from '../../src/cli/import/records.js';
import { ScimError } from '../../src/errors/scim-error.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

describe('import records: User or Group, and the keys an upsert matches by', () => {
  it('a Group names the Group schema (in any case); anything else is a User', () => {
    assert.deepEqual(classify(1, { schemas: [GROUP], displayName: 'Ops', externalId: 'g1' }), { line: 1, kind: 'Group', body: { schemas: [GROUP], displayName: 'Ops', externalId: 'g1' }, keys: { externalId: 'g1', name: 'Ops' } });
    assert.equal(classify(2, { schemas: [GROUP.toUpperCase()], displayName: 'Ops' }).kind, 'Group');
    assert.deepEqual(classify(3, { userName: 'ada' }).keys, { externalId: undefined, name: 'ada' }, 'no schemas: a User, as POST /Users accepts');
    assert.deepEqual(classify(4, { schemas: [USER], userName: 7, externalId: 'x' }).keys, { externalId: 'x', name: undefined }, 'only strings are keys');
  });

  it('refuses what is not one resource', () => {
    for (const body of [[1, 2], 'text', null, 42]) assert.throws(() => classify(1, body), (error) => error instanceof ScimError && error.code === 'invalidSyntax');
    assert.throws(() => classify(1, { schemas: [USER, GROUP] }), { message: '"schemas" names both the User and the Group schema' });
  });
});
