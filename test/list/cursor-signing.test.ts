import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { createCursorCodec, CURSOR_SECRET, queryFingerprint } from '../../src/scim/cursor.js';
import { assertScimError, startAnotherApp, startTestApp, user, type TestApp } from '../support/app.js';

type Entry = Record<string, unknown>;

/** Changes the character at `index` to another character of the base64url alphabet. */
function flip(text: string, index: number): string {
  const replacement = text[index] === 'A' ? 'B' : 'A';
  return `${text.slice(0, index)}${replacement}${text.slice(index + 1)}`;
}

/**
 * RFC 9865 cursors are signed with the deployment's key (HMAC-SHA256, a secret generated once and
 * kept in the database): a cursor the deployment did not issue, or one altered in any character,
 * is 400 invalidCursor; every process on the database shares the key, so any of them continues a walk.
 */
describe('Cursor signing (RFC 9865 invalidCursor)', () => {
  let t: TestApp;
  let elsewhere: TestApp;
  const entries: Entry[] = [];
  const QUERY = 'cursor=&count=2&attributes=userName';

  before(async () => {
    t = await startTestApp('cursor_signing', {}, { log: (entry) => entries.push(entry) });
    elsewhere = await startTestApp('cursor_signing_elsewhere');
    for (const app of [t, elsewhere]) for (const name of ['ann', 'bea', 'cal', 'dot', 'eli']) assert.equal((await app.scim.post('/Users').send(user(`signed-${name}@example.com`))).status, 201);
  });
  after(async () => {
    await t.close();
    await elsewhere.close();
  });

  async function nextCursor(app: TestApp): Promise<string> {
    const first = await app.scim.get(`/Users?${QUERY}`);
    assert.equal(first.status, 200);
    return String(first.body.nextCursor);
  }

  it('issues cursors of the form <payload>.<signature>, both base64url', async () => {
    assert.match(await nextCursor(t), /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  });

  describe('refuses, with 400 invalidCursor and no stack in the log', () => {
    const forgeries: [string, (genuine: string) => Promise<string>][] = [
      ['one character of the payload changed', async (genuine) => flip(genuine, 5)],
      ['one character of the signature changed', async (genuine) => flip(genuine, genuine.length - 3)],
      ['the payload alone (the unsigned format)', async (genuine) => genuine.split('.')[0]!],
      ['the payload of another cursor under this signature', async (genuine) => `${(await t.scim.get('/Users?cursor=&count=1')).body.nextCursor.split('.')[0]}.${genuine.split('.')[1]}`],
      [
        'a well-formed cursor signed with another key',
        async () => createCursorCodec(randomBytes(32)).encode(queryFingerprint(['User', undefined, undefined, false]), { sortValue: new Date(0), id: 'x', direction: 'after' }),
      ],
      ['a cursor issued by another deployment (another database)', async () => nextCursor(elsewhere)],
      ['a second signature appended', async (genuine) => `${genuine}.${genuine.split('.')[1]}`],
    ];
    for (const [what, forge] of forgeries) {
      it(what, async () => {
        const cursor = await forge(await nextCursor(t));
        entries.length = 0;
        const response = await t.scim.get(`/Users?${QUERY.replace('cursor=', `cursor=${encodeURIComponent(cursor)}`)}`);
        assertScimError(response, 400, 'invalidCursor');
        assert.match(response.body.detail, /The cursor is not valid/);
        assert.deepEqual(entries.map((entry) => [entry['msg'], entry['status']]), [['request', 400]]);
        assert.doesNotMatch(JSON.stringify(entries), /\\n\s+at /);
      });
    }
  });

  it('a cursor signed with the deployment key but past cursorTimeout is expiredCursor', async () => {
    const cursors = createCursorCodec(await t.storage.secrets.get(CURSOR_SECRET));
    const old = cursors.encode(queryFingerprint(['User', undefined, undefined, false]), { sortValue: new Date(), id: 'x', direction: 'after' }, Date.now() - 3601_000);
    assertScimError(await t.scim.get(`/Users?cursor=${old}&count=2`), 400, 'expiredCursor');
  });

  it('another process on the same database continues the walk (one key per deployment)', async () => {
    const second = await startAnotherApp(t);
    try {
      const cursor = await nextCursor(t);
      const here = await t.scim.get(`/Users?${QUERY.replace('cursor=', `cursor=${cursor}`)}`);
      const there = await second.scim.get(`/Users?${QUERY.replace('cursor=', `cursor=${cursor}`)}`);
      assert.equal(there.status, 200, JSON.stringify(there.body));
      assert.deepEqual(there.body.Resources, here.body.Resources);
      assert.deepEqual(await second.storage.secrets.get(CURSOR_SECRET), await t.storage.secrets.get(CURSOR_SECRET));
      assert.notDeepEqual(await elsewhere.storage.secrets.get(CURSOR_SECRET), await t.storage.secrets.get(CURSOR_SECRET));
    } finally {
      await second.close();
    }
  });
});
