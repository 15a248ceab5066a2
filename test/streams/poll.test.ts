import assert from 'node:assert/strict';
import { MongoClient, type Document } from 'mongodb';
import supertest from 'supertest';
import { purgeExpiredStreamEvents, streamMetrics } from '../../src/services/event-streams.js';
import { clientFor, issueToken } from '../security/helpers.js';
import { group, startAnotherApp, startTestApp, sweep, TEST_TOKEN, user, type TestApp } from '../support/app.js';
import { testDatabaseUri } from '../support/engine.js';
import { leaveBehind } from '../support/pending-entries.js';
import { bindToken, createStream, decodeSet, eventUris, poll, PROV, STREAM_ADMIN_TOKEN, streamAdmin } from '../support/streams.js';

/**
 * RFC 8936 poll-based delivery of RFC 9967 SCIM events: a pulling app learns what GET cannot tell
 * it (a deletion), acknowledges what it processed, and gets the rest again, across restarts and
 * server processes, never another tenant's events.
 */
describe('event streams: polling SCIM events (RFC 8936, RFC 9967)', function () {
  this.timeout(60_000);
  let t: TestApp;
  let client: MongoClient;
  let n = 0;
  const logged: Record<string, unknown>[] = [];

  before(async () => {
    t = await startTestApp('event-streams', { ADMIN_TOKEN: STREAM_ADMIN_TOKEN, EVENT_STREAM_LONG_POLL_SECONDS: '1', PUBLIC_BASE_URL: 'https://scim.example.com/scim/v2' }, { log: (entry) => void logged.push(entry) });
    client = await MongoClient.connect(testDatabaseUri(t.dbName!));
  });

  after(async () => {
    await client.close();
    await t.close();
  });

  /** A fresh stream (every event type unless `events`) and a scim:read credential bound to it. */
  async function receiver(events?: string[]): Promise<{ name: string; token: string }> {
    n += 1;
    const name = `receiver-${n}`;
    await createStream(t, name, events);
    return { name, token: await bindToken(t, `app-${n}`, name) };
  }

  async function createUser(userName: string, app: TestApp = t): Promise<string> {
    const created = await app.scim.post('/Users').send(user(userName));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return String(created.body.id);
  }

  const queued = (stream: string) => streamAdmin(t).get(stream).then((response) => response.body.backlog as { pending: number; failed: number });

  describe('a receiver learns what GET cannot tell it', () => {
    it('a deleted user is gone from GET /Users, and the stream carries its prov:delete SET', async () => {
      const { name, token } = await receiver();
      const id = await createUser('leaver@example.com');
      assert.equal((await t.scim.delete(`/Users/${id}`)).status, 204);

      assert.equal((await t.scim.get(`/Users/${id}`)).status, 404);
      const listed = await t.scim.get(`/Users?filter=${encodeURIComponent('userName eq "leaver@example.com"')}`);
      assert.equal(listed.body.totalResults, 0, 'a list no longer shows the user');

      const answer = await poll(t, token, name);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.response.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(answer.moreAvailable, false);
      const deletion = Object.entries(answer.sets).map(([jti, set]) => ({ jti, ...decodeSet(set) })).find((set) => `${PROV}:delete` in (set.claims.events ?? {}));
      assert.ok(deletion, `a prov:delete SET among ${[...eventUris(answer.sets).values()].join(', ')}`);
      assert.deepEqual(deletion.header, { alg: 'none', typ: 'secevent+jwt' });
      assert.deepEqual(deletion.claims.sub_id, { format: 'scim', uri: `/Users/${id}` });
      assert.deepEqual(deletion.claims.events, { [`${PROV}:delete`]: {} });
      assert.equal(deletion.claims.jti, deletion.jti, 'the sets member name is the jti');
      assert.equal(deletion.claims.iss, 'https://scim.example.com/scim/v2');
      assert.equal(deletion.claims.aud, `urn:scim-identity-server:stream:default:${name}`);
      assert.equal(deletion.claims.sub, undefined, 'RFC 9967 §2.1: sub_id, never sub');
      assert.equal(typeof deletion.claims.txn, 'string');
      assert.ok(Number.isInteger(deletion.claims.iat) && Number.isInteger(deletion.claims.toe));
    });

    it('a stream receives events from its creation on, in the order they happened', async () => {
      await createUser('before-the-stream@example.com');
      const { name, token } = await receiver();
      const id = await createUser('joiner@example.com');
      assert.equal((await t.scim.patch(`/Users/${id}`).send({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] })).status, 200);
      const answer = await poll(t, token, name);
      const subjects = Object.values(answer.sets).map((set) => decodeSet(set).claims.sub_id?.uri);
      assert.ok(subjects.every((uri) => uri === `/Users/${id}`), 'nothing from before the stream existed');
      const uris = [...eventUris(answer.sets).values()];
      assert.ok(uris.indexOf(`${PROV}:create:notice`) === 0 && uris.indexOf(`${PROV}:deactivate`) > 0, uris.join(', '));
    });

    it('events a crash left pending enter the stream when the relay sweep relays them', async () => {
      const { name, token } = await receiver();
      const id = await createUser('crashed@example.com');
      const acked = await poll(t, token, name);
      await poll(t, token, name, { ack: Object.keys(acked.sets), returnImmediately: true });
      const { eventId } = await leaveBehind(client, t.dbName!, id);
      assert.deepEqual((await poll(t, token, name)).sets, {}, 'not in the stream before it is relayed');
      await sweep(t, new Date());
      assert.deepEqual(Object.keys((await poll(t, token, name)).sets), [eventId]);
    });
  });

  describe('acknowledgement (RFC 8936 §2.2 ack)', () => {
    it('unacknowledged SETs come again, byte for byte; acknowledged ones never', async () => {
      const { name, token } = await receiver();
      await createUser('ack-1@example.com');
      await createUser('ack-2@example.com');
      const first = await poll(t, token, name);
      assert.equal(Object.keys(first.sets).length, 2);
      assert.deepEqual((await poll(t, token, name)).sets, first.sets, 'the same SETs again while unacknowledged');

      const [acked, kept] = Object.keys(first.sets) as [string, string];
      const next = await poll(t, token, name, { ack: [acked], returnImmediately: true });
      assert.deepEqual(next.sets, { [kept]: first.sets[kept] }, 'the acknowledgement is applied before SETs are chosen');
      const last = await poll(t, token, name, { ack: [kept, acked], returnImmediately: true });
      assert.deepEqual(last.sets, {}, 'a repeated acknowledgement is harmless');
      assert.equal((await queued(name)).pending, 0);
    });

    it('an unknown jti in ack is ignored: a receiver repeats acknowledgements whose answer it lost', async () => {
      const { name, token } = await receiver();
      await createUser('unknown-ack@example.com');
      const [jti] = Object.keys((await poll(t, token, name)).sets) as [string];
      const answer = await poll(t, token, name, { ack: ['no-such-jti', jti], returnImmediately: true });
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.sets, {});
    });

    it('maxEvents 0 acknowledges only, and says whether more are waiting', async () => {
      const { name, token } = await receiver();
      await createUser('ack-only-1@example.com');
      await createUser('ack-only-2@example.com');
      const [a] = Object.keys((await poll(t, token, name)).sets) as [string];
      const answer = await poll(t, token, name, { ack: [a], maxEvents: 0 });
      assert.deepEqual(answer.body, { sets: {}, moreAvailable: true });
      assert.equal((await queued(name)).pending, 1);
    });

    it('survives a restart and is shared by server processes on one database', async () => {
      const { name, token } = await receiver();
      const other = await startAnotherApp(t);
      try {
        await createUser('written-elsewhere-1@example.com', other);
        await createUser('written-elsewhere-2@example.com', other);
        const seen = await poll(t, token, name);
        assert.equal(Object.keys(seen.sets).length, 2, 'events written through another process are in the stream');
        const [acked, kept] = Object.keys(seen.sets) as [string, string];
        assert.deepEqual((await poll(other, token, name, { ack: [acked], returnImmediately: true })).sets, { [kept]: seen.sets[kept] });
      } finally {
        await other.close();
      }
      const restarted = await startAnotherApp(t);
      try {
        const again = await poll(restarted, token, name);
        assert.equal(Object.keys(again.sets).length, 1, 'after a restart: the unacknowledged event, not the acknowledged one');
      } finally {
        await restarted.close();
      }
    });
  });

  describe('errors reported by the receiver (RFC 8936 §2.2 setErrs)', () => {
    it('are recorded, logged and shown to the administrator, and the SET is not sent again', async () => {
      const { name, token } = await receiver();
      await createUser('set-error@example.com');
      const [bad, ...rest] = Object.keys((await poll(t, token, name)).sets) as [string, ...string[]];
      const answer = await poll(t, token, name, { setErrs: { [bad]: { err: 'invalid_request', description: 'unknown attribute' } }, returnImmediately: true });
      assert.equal(answer.status, 200);
      assert.deepEqual(Object.keys(answer.sets).sort(), rest.sort(), 'the reported SET is not redelivered');

      const shown = await streamAdmin(t).get(name);
      assert.equal(shown.body.backlog.failed, 1);
      assert.equal(shown.body.backlog.pending, rest.length);
      assert.deepEqual(
        (shown.body.recentErrors as Record<string, unknown>[]).map(({ reportedAt, ...error }) => (assert.ok(!Number.isNaN(Date.parse(String(reportedAt)))), error)),
        [{ jti: bad, err: 'invalid_request', description: 'unknown attribute' }],
      );
      assert.ok(logged.some((entry) => entry['msg'] === 'event stream receiver reported an error' && entry['jti'] === bad && entry['stream'] === name));
    });
  });

  describe('what a stream receives', () => {
    it('only the event types it is configured with; a change applies to later events', async () => {
      const { name, token } = await receiver(['user.deleted']);
      const id = await createUser('filtered@example.com');
      await t.scim.delete(`/Users/${id}`);
      assert.deepEqual([...eventUris((await poll(t, token, name)).sets).values()], [`${PROV}:delete`]);

      assert.equal((await streamAdmin(t).patch(name, { events: null })).status, 200);
      assert.equal((await t.scim.post('/Groups').send(group('Filtered later'))).status, 201);
      const uris = [...eventUris((await poll(t, token, name)).sets).values()];
      assert.ok(uris.includes(`${PROV}:create:notice`), `every type now: ${uris.join(', ')}`);
    });

    it('another tenant’s events never appear, even in its stream of the same name', async () => {
      const { name, token } = await receiver();
      const acme = clientFor(t.app, await issueToken(t.storage.credentials, 'acme', `acme-writer-${n}`, ['scim:write']));
      assert.equal((await acme.post('/Users', user('acme.user@example.com'))).status, 201);
      assert.deepEqual((await poll(t, token, name)).sets, {}, 'the default tenant’s stream has nothing of acme');

      await t.storage.streams.create({ id: `acme-${name}`, tenant: 'acme', name, createdAt: new Date(), updatedAt: new Date() });
      const acmeToken = await bindToken(t, `acme-app-${n}`, name, { tenant: 'acme' });
      await createUser('default.user@example.com');
      assert.equal((await acme.post('/Users', user('acme.second@example.com'))).status, 201);
      const acmeSets = Object.values((await poll(t, acmeToken, name)).sets).map(decodeSet);
      assert.equal(acmeSets.length, 1);
      assert.equal(acmeSets[0]?.claims.aud, `urn:scim-identity-server:stream:acme:${name}`);
      const defaultSets = Object.values((await poll(t, token, name)).sets).map(decodeSet);
      assert.equal(defaultSets.length, 1, 'each tenant’s stream has its own tenant’s event only');
      assert.notEqual(defaultSets[0]?.claims.sub_id?.uri, acmeSets[0]?.claims.sub_id?.uri);
    });

    it('a tenant with no stream queues nothing', async () => {
      const quiet = clientFor(t.app, await issueToken(t.storage.credentials, 'quiet', 'quiet-writer', ['scim:write']));
      const before = await client.db(t.dbName).collection('stream_entries').countDocuments({});
      for (let i = 0; i < 3; i += 1) assert.equal((await quiet.post('/Users', user(`quiet-${i}@example.com`))).status, 201);
      assert.equal(await client.db(t.dbName).collection('stream_entries').countDocuments({}), before);
    });

    it('a deleted stream takes its queue with it; one created again under its name starts empty', async () => {
      const { name, token } = await receiver();
      await createUser('in-a-deleted-stream@example.com');
      assert.equal((await streamAdmin(t).remove(name)).status, 204);
      const gone = await poll(t, token, name);
      assert.equal(gone.status, 404);
      assert.equal(gone.body['err'], 'invalid_request');
      await createStream(t, name);
      assert.deepEqual((await poll(t, token, name)).sets, {});
    });
  });

  describe('maxEvents and moreAvailable (RFC 8936 §2.2, §2.3)', () => {
    it('returns at most maxEvents, oldest first, and says that more are available', async () => {
      const { name, token } = await receiver(['user.provisioned']);
      const ids = [];
      for (let i = 0; i < 5; i += 1) ids.push(await createUser(`page-${i}@example.com`));
      const seen: string[] = [];
      const subjects: (string | undefined)[] = [];
      for (const [count, more] of [[2, true], [2, true], [1, false]] as const) {
        const answer = await poll(t, token, name, { ack: seen.slice(-2), maxEvents: 2, returnImmediately: true });
        assert.equal(Object.keys(answer.sets).length, count);
        assert.equal(answer.moreAvailable, more);
        seen.push(...Object.keys(answer.sets));
        subjects.push(...Object.values(answer.sets).map((set) => decodeSet(set).claims.sub_id?.uri));
      }
      assert.deepEqual(subjects, ids.map((id) => `/Users/${id}`), 'oldest first');
    });
  });

  describe('who may poll', () => {
    it('a credential bound to the stream with scim:read (or scim:write) polls it; every other caller is refused', async () => {
      const { name, token } = await receiver();
      const other = await receiver();
      const writer = await bindToken(t, `writer-${n}`, name, { scopes: ['scim:write'] });
      const auditor = await issueToken(t.storage.credentials, 'default', `auditor-${n}`, ['audit:read']);
      const unbound = await issueToken(t.storage.credentials, 'default', `unbound-${n}`, ['scim:read']);
      assert.equal((await poll(t, token, name)).status, 200);
      assert.equal((await poll(t, writer, name)).status, 200);

      const refusals: [string, string | undefined, number, string, RegExp][] = [
        ['no token', undefined, 401, 'authentication_failed', /^Bearer realm="SCIM"$/],
        ['an unknown token', 'scim_no-such-token', 401, 'authentication_failed', /error="invalid_token"/],
        ['a credential without scim:read', auditor, 403, 'access_denied', /error="insufficient_scope", scope="scim:read"/],
        ['a scim:read credential bound to no stream', unbound, 403, 'access_denied', /^$/],
        ['SCIM_BEARER_TOKEN (bound to no stream)', TEST_TOKEN, 403, 'access_denied', /^$/],
        ['a credential bound to another stream', other.token, 403, 'access_denied', /^$/],
      ];
      for (const [who, credential, status, err, challenge] of refusals) {
        const answer = await poll(t, credential, name);
        assert.equal(answer.status, status, who);
        assert.equal(answer.body['err'], err, who);
        assert.equal(typeof answer.body['description'], 'string', who);
        assert.match(String(answer.response.headers['www-authenticate'] ?? ''), challenge, who);
      }
    });
  });

  describe('bad requests: 400 with an RFC 8935 error object, and nothing acknowledged', () => {
    const bad: [string, unknown, RegExp][] = [
      ['malformed JSON', '{"ack": [', /not valid JSON/],
      ['a JSON array', [], /must be a JSON object/],
      ['negative maxEvents', { maxEvents: -1 }, /"maxEvents" must be a whole number/],
      ['fractional maxEvents', { maxEvents: 1.5 }, /"maxEvents"/],
      ['maxEvents as a string', { maxEvents: '2' }, /"maxEvents"/],
      ['returnImmediately as a string', { returnImmediately: 'yes' }, /"returnImmediately" must be true or false/],
      ['ack as a string', { ack: 'jti' }, /"ack" must be an array/],
      ['ack with a number', { ack: [1] }, /"ack" must be an array/],
      ['ack with an empty jti', { ack: [''] }, /"ack" must be an array/],
      ['setErrs as an array', { setErrs: [] }, /"setErrs" must be an object/],
      ['setErrs without err', { setErrs: { x: { description: 'd' } } }, /"setErrs"."x" must be an object with "err"/],
      ['setErrs with a numeric description', { setErrs: { x: { err: 'invalid_request', description: 5 } } }, /description must be a string/],
    ];
    for (const [what, body, detail] of bad) {
      it(`${what} → 400 invalid_request`, async () => {
        const { name, token } = await receiver();
        await createUser(`bad-${what.replace(/\W+/g, '-')}@example.com`);
        const answer = await poll(t, token, name, body);
        assert.equal(answer.status, 400, JSON.stringify(answer.body));
        assert.equal(answer.body['err'], 'invalid_request');
        assert.match(String(answer.body['description']), detail);
        assert.equal((await queued(name)).pending, 1, 'nothing acknowledged or reported');
      });
    }

    it('a jti both acknowledged and reported as an error → 400, and neither is applied', async () => {
      const { name, token } = await receiver();
      await createUser('contradiction@example.com');
      const [jti] = Object.keys((await poll(t, token, name)).sets) as [string];
      const answer = await poll(t, token, name, { ack: [jti], setErrs: { [jti]: { err: 'invalid_request' } } });
      assert.equal(answer.status, 400);
      assert.match(String(answer.body['description']), /both acknowledged and reported/);
      const backlog = await queued(name);
      assert.equal(backlog.pending, 1);
      assert.equal(backlog.failed, 0);
    });

    it('a body that is not JSON → 415 invalid_request', async () => {
      const { name, token } = await receiver();
      const sent = await supertest(t.app).post(`/streams/${name}/poll`).set('Authorization', `Bearer ${token}`).set('Content-Type', 'text/plain').send('ack');
      assert.equal(sent.status, 415);
      assert.equal(sent.body.err, 'invalid_request');
    });
  });

  describe('long polling (RFC 8936 §2.2 returnImmediately false)', () => {
    it('with nothing arriving, it answers with no SETs once EVENT_STREAM_LONG_POLL_SECONDS pass', async () => {
      const { name, token } = await receiver();
      const answer = await poll(t, token, name, { returnImmediately: false });
      assert.deepEqual(answer.body, { sets: {}, moreAvailable: false });
    });

    describe('with a long bound (60 s)', () => {
      const stopping = new AbortController();
      let held: TestApp;
      let token: string;

      before(async () => {
        held = await startTestApp('event-streams-held', { ADMIN_TOKEN: STREAM_ADMIN_TOKEN, EVENT_STREAM_LONG_POLL_SECONDS: '60' }, { shutdown: stopping.signal });
        await createStream(held, 'held');
        token = await bindToken(held, 'held-app', 'held');
      });

      after(() => held.close());

      /** Starts a poll that finds nothing, then lets `arrive` write; returns what the poll answered. */
      async function pollWhile(arrive: () => Promise<unknown>): Promise<Record<string, string>> {
        const waiting = poll(held, token, 'held', {});
        await new Promise((resolve) => setTimeout(resolve, 200));
        await arrive();
        const { sets } = await waiting;
        await poll(held, token, 'held', { ack: Object.keys(sets), maxEvents: 0 });
        return sets;
      }

      it('a poll with nothing to return waits, and returns the event that arrives meanwhile', async () => {
        let id = '';
        const sets = await pollWhile(async () => (id = await createUser('arrives-while-waiting@example.com', held)));
        assert.deepEqual(Object.values(sets).map((set) => decodeSet(set).claims.sub_id?.uri), [`/Users/${id}`]);
      });

      it('an event written through another server process releases it too', async () => {
        const other = await startAnotherApp(held);
        try {
          let id = '';
          const sets = await pollWhile(async () => (id = await createUser('arrives-elsewhere@example.com', other)));
          assert.deepEqual(Object.values(sets).map((set) => decodeSet(set).claims.sub_id?.uri), [`/Users/${id}`]);
        } finally {
          await other.close();
        }
      });

      it('a held poll answers at once, with what it has, when the process begins to stop', async () => {
        const sets = await pollWhile(async () => stopping.abort());
        assert.deepEqual(sets, {});
      });
    });
  });

  describe('cost: a poll reads its stream, never the event log', () => {
    /**
     * Whether the engine answers a find from `index`: FerretDB says what it pushed down to SQLite
     * and SQLite's plan names the index; MongoDB's winning plan has an IXSCAN of it.
     */
    async function answeredFrom(index: string, collection: string, filter: Document, sort?: Document): Promise<[boolean, string]> {
      const explained = (await client.db(t.dbName).command({ explain: { find: collection, filter, ...(sort ? { sort } : {}), limit: 11 } })) as Document;
      const shown = JSON.stringify(explained);
      if (!('filterPushdown' in explained)) return [/IXSCAN/.test(shown) && shown.includes(index), shown];
      const pushed = explained['filterPushdown'] === true && (!sort || explained['sortPushdown'] === true);
      return [pushed && shown.includes(`_${index} `) && !/\bSCAN\b/.test(shown), shown];
    }

    it('its queue, the streams of a batch and retention are read through indexes (scalar_ names on the embedded engine)', async () => {
      const { name } = await receiver();
      const stream = await t.storage.streams.get('default', name);
      assert.ok(stream);
      const shapes: [string, string, string, Document, Document | undefined][] = [
        ['the oldest pending events of a stream', 'scalar_stream_state_enqueuedAt_seq', 'stream_entries', { stream: stream.id, state: 'pending' }, { enqueuedAt: 1, seq: 1 }],
        ['the streams of a batch’s tenants', 'scalar_tenant', 'event_streams', { tenant: { $in: ['default'] } }, undefined],
        ['what retention removes', 'scalar_enqueuedAt', 'stream_entries', { enqueuedAt: { $lt: new Date() } }, undefined],
      ];
      for (const [what, index, collection, filter, sort] of shapes) {
        const [indexed, shown] = await answeredFrom(index, collection, filter, sort);
        assert.ok(indexed, `${what}: ${shown}`);
      }
    });
  });

  describe('retention and metrics', () => {
    it('retention removes events older than EVENT_STREAM_RETENTION_DAYS, acknowledged or not', async () => {
      const { name, token } = await receiver();
      await createUser('retained@example.com');
      const day = 86_400_000;
      assert.equal(await purgeExpiredStreamEvents(t.storage, 30, new Date(Date.now() + 29 * day)), 0);
      assert.equal((await queued(name)).pending, 1);
      assert.ok((await purgeExpiredStreamEvents(t.storage, 30, new Date(Date.now() + 31 * day))) >= 1);
      assert.equal((await queued(name)).pending, 0);
      assert.deepEqual((await poll(t, token, name)).sets, {});
    });

    it('streamMetrics: per stream, the backlog and the age of its oldest unacknowledged event', async () => {
      const { name } = await receiver();
      const empty = await receiver(['group.deleted']);
      await createUser('metrics-1@example.com');
      await createUser('metrics-2@example.com');
      const metrics = await streamMetrics(t.storage, new Date(Date.now() + 60_000));
      const mine = metrics.find((entry) => entry.name === name);
      assert.equal(mine?.tenant, 'default');
      assert.equal(mine?.backlog, 2);
      assert.ok(mine.oldestUnacknowledgedAgeSeconds !== null && mine.oldestUnacknowledgedAgeSeconds >= 59);
      assert.deepEqual(metrics.find((entry) => entry.name === empty.name), { tenant: 'default', name: empty.name, backlog: 0, oldestUnacknowledgedAgeSeconds: null });
    });
  });
});
