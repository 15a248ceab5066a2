import assert from 'node:assert/strict';
import type supertest from 'supertest';
import { createUser, idOf } from '../groups/helpers.js';
import { patchOp, sendPatch, storedUser } from '../patch/helpers.js';
import { startAnotherApp, startTestApp, type TestApp } from '../support/app.js';

/**
 * Several server processes on one database: apps each with its own driver pool, turn-taking and
 * document locks, so only the store's version-conditional writes keep their writers apart. On the
 * embedded engine that needs its patched write isolation (engine/ferretdb/patches, 0003).
 */
/** Server processes: each serialises its own writers to a user, so this many race at once. */
const APPS = 4;

describe('several apps on one database: concurrent writes to the same user', function () {
  this.timeout(300_000);
  let apps: TestApp[];

  before(async () => {
    const first = await startTestApp('several-apps');
    apps = [first];
    while (apps.length < APPS) apps.push(await startAnotherApp(first));
  });

  after(async () => {
    for (const app of apps) await app.close();
  });

  function statusCounts(responses: supertest.Response[]): string {
    const counts = new Map<number, number>();
    for (const response of responses) counts.set(response.status, (counts.get(response.status) ?? 0) + 1);
    return JSON.stringify([...counts]);
  }

  it('25 concurrent PATCHes from each app adding distinct emails: every one acknowledged and stored', async () => {
    const userId = idOf(await createUser(apps[0]!, 'two-apps.emails@example.com'));
    const sends = apps.flatMap((app, a) =>
      Array.from({ length: 25 }, (_, index) => ({ app, value: `app${a}.${index}@example.com` })),
    );
    const responses = await Promise.all(sends.map(({ app, value }) => sendPatch(app, `/Users/${userId}`, patchOp({ op: 'add', path: 'emails', value: [{ value }] }))));
    assert.ok(responses.every((response) => response.status === 200), statusCounts(responses));

    const stored = await storedUser(apps[1]!, userId);
    const emails = new Set((stored.attributes['emails'] as { value: string }[]).map((email) => email.value));
    const lost = sends.filter(({ value }) => !emails.has(value)).map(({ value }) => value);
    assert.deepEqual(lost, [], `${lost.length} of ${sends.length} acknowledged adds were lost`);
    assert.equal(emails.size, sends.length);
  });

  it('conflicting If-Match PATCHes from every app: exactly one 2xx per version, the rest 412', async () => {
    const userId = idOf(await createUser(apps[0]!, 'two-apps.if-match@example.com', { title: 'Original' }));
    for (let round = 0; round < 10; round += 1) {
      const before = await storedUser(apps[0]!, userId);
      const etag = `W/"${before.version}"`;
      const responses = await Promise.all(
        apps.flatMap((app, a) =>
          Array.from({ length: 5 }, (_, index) => sendPatch(app, `/Users/${userId}`, patchOp({ op: 'replace', path: 'title', value: `round ${round} app ${a} writer ${index}` }), etag)),
        ),
      );
      const winners = responses.filter((response) => response.status === 200);
      assert.equal(winners.length, 1, `round ${round}: ${statusCounts(responses)}`);
      assert.equal(responses.filter((response) => response.status === 412).length, responses.length - 1, `round ${round}: ${statusCounts(responses)}`);
      const stored = await storedUser(apps[1]!, userId);
      assert.equal(stored.version, before.version + 1, `round ${round}: exactly one write`);
      assert.equal(stored.attributes['title'], winners[0]!.body.title);
    }
  });
});
