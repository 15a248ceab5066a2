// Two server processes on one database under a mixed load, then checks of what must hold:
//   - no lost updates: every PATCH that answered 200 adding a unique email to one of a few "hot"
//     users (written through both processes at once) is in the final user; every member added
//     with 204 is a member at the end;
//   - no uniqueness violations: the same userName POSTed to both processes at once is created
//     once (one 201, one 409) and stored once;
//   - event deliveries: every stored event is delivered to a local webhook receiver, and no event
//     id arrives more than once (at-least-once allows a repeat only after a failed or timed-out
//     attempt, and the receiver here always answers 200 at once).
//
//   npm run bench:scale-out -- [--users 200] [--hot 3] [--duration 30] [--connections 4] [--names 20]
//       [--burst 10]
//
// On the embedded FerretDB, concurrent conditional updates of one document from two connections
// are not isolated (docs/scaling.md): each process serialises its own writers, so lost updates
// across processes are possible there and the run reports what it saw. Run with MONGODB_URI
// (a replica set) for the deployment guarantee.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import { count, options } from './lib/args.js';
import { openBenchDatabase } from './lib/database.js';
import { note } from './lib/progress.js';
import { commandLine, printBlock, runHeader, table } from './lib/report.js';
import { scimClient, type ScimClient } from './lib/scim-client.js';
import { createSeeder } from './lib/seed.js';
import { startServerProcess, type ServerProcess } from './lib/server-process.js';
import { GROUP_SCHEMA, PATCH_SCHEMA, userBody, userNameOf } from './lib/users.js';

const WEBHOOK = 'bench';
const q = encodeURIComponent;
const patch = (...Operations: unknown[]) => ({ schemas: [PATCH_SCHEMA], Operations });

/** Counts deliveries per webhook-id and checks each signature as a Standard Webhooks receiver would. */
async function startReceiver(secret: string): Promise<{ url: string; received: Map<string, number>; badSignatures: () => number; close(): Promise<void> }> {
  const received = new Map<string, number>();
  let bad = 0;
  const verifier = new Webhook(secret);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      try {
        verifier.verify(Buffer.concat(chunks).toString('utf8'), req.headers as Record<string, string>, { jsonParse: false });
      } catch {
        bad += 1;
      }
      received.set(id, (received.get(id) ?? 0) + 1);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`,
    received,
    badSignatures: () => bad,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Tally {
  ops: Map<string, Map<number, number>>;
  /** Hot user id → emails whose adding PATCH answered 200. */
  emails: Map<string, Set<string>>;
  /** Users whose membership PATCH answered 204. */
  members: Set<string>;
}

function count1(tally: Tally, op: string, status: number): void {
  const statuses = tally.ops.get(op) ?? new Map<number, number>();
  statuses.set(status, (statuses.get(status) ?? 0) + 1);
  tally.ops.set(op, statuses);
}

async function main(): Promise<void> {
  const args = options({ users: '200', hot: '3', duration: '30', connections: '4', names: '20', burst: '10' });
  const users = count('users', args.users);
  const hot = count('hot', args.hot);
  const seconds = count('duration', args.duration);
  const connections = count('connections', args.connections);
  const names = count('names', args.names);
  const burst = count('burst', args.burst);
  const token = randomBytes(24).toString('hex');
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const database = await openBenchDatabase('scaleout');
  const receiver = await startReceiver(secret);
  const servers: ServerProcess[] = [];
  try {
    const env = {
      MONGODB_URI: database.uri,
      SCIM_BEARER_TOKEN: token,
      WEBHOOKS: JSON.stringify([{ name: WEBHOOK, url: receiver.url, secret }]),
      WEBHOOK_POLL_MS: '200',
    };
    servers.push(await startServerProcess(env), await startServerProcess(env));
    const apis: ScimClient[] = servers.map((server) => scimClient(server.base, token, connections));
    const [a, b] = apis as [ScimClient, ScimClient];
    const db = database.client.db(database.dbName);
    const ids = await (await createSeeder(db, a, 'default')).users(1, users);
    const groupId = (await a.json<{ id: string }>('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'scale-out-group' }, 201)).id;
    const hotIds = ids.slice(0, hot);
    const tally: Tally = { ops: new Map(), emails: new Map(hotIds.map((id) => [id, new Set<string>()])), members: new Set() };

    // 1. Mixed load through both processes.
    note(`mixed load: ${seconds} s, ${connections} clients per process`);
    const deadline = Date.now() + seconds * 1000;
    let sequence = 0;
    let nextMember = hot;
    const worker = async (api: ScimClient): Promise<void> => {
      while (Date.now() < deadline) {
        const roll = Math.random();
        if (roll < 0.4) {
          const id = hotIds[Math.floor(Math.random() * hot)] as string;
          const email = `hot-${(sequence += 1)}@scale.example.com`;
          const result = await api.request('PATCH', `/Users/${id}`, patch({ op: 'add', path: 'emails', value: [{ value: email, type: 'other' }] }));
          if (result.status === 200) tally.emails.get(id)?.add(email);
          count1(tally, 'PATCH add email (hot user)', result.status);
        } else if (roll < 0.6 && nextMember < ids.length) {
          const id = ids[nextMember++] as string;
          const result = await api.request('PATCH', `/Groups/${groupId}`, patch({ op: 'add', path: 'members', value: [{ value: id }] }));
          if (result.status === 204) tally.members.add(id);
          count1(tally, 'PATCH group add member', result.status);
        } else if (roll < 0.8) {
          const id = ids[hot + Math.floor(Math.random() * (ids.length - hot))] as string;
          count1(tally, 'PATCH replace title', (await api.request('PATCH', `/Users/${id}`, patch({ op: 'replace', path: 'title', value: `T${(sequence += 1)}` }))).status);
        } else {
          const userName = userNameOf(1 + Math.floor(Math.random() * users));
          count1(tally, 'GET filter userName eq', (await api.request('GET', `/Users?filter=${q(`userName eq "${userName}"`)}`)).status);
        }
      }
    };
    await Promise.all(apis.flatMap((api) => Array.from({ length: connections }, () => worker(api))));

    // 1b. Contention: simultaneous PATCHes of each hot user, half through each process.
    note(`contention burst: ${burst} simultaneous PATCHes per hot user, split over both processes`);
    for (const id of hotIds) {
      await Promise.all(
        Array.from({ length: burst }, async (_, i) => {
          const email = `burst-${(sequence += 1)}@scale.example.com`;
          const result = await (apis[i % 2] as ScimClient).request('PATCH', `/Users/${id}`, patch({ op: 'add', path: 'emails', value: [{ value: email, type: 'other' }] }));
          if (result.status === 200) tally.emails.get(id)?.add(email);
          count1(tally, 'PATCH add email (burst)', result.status);
        }),
      );
    }

    // 2. The same userName to both processes at once.
    note(`uniqueness race: ${names} userNames, each POSTed to both processes at once`);
    const raceOutcomes = new Map<string, number>();
    for (let i = 0; i < names; i += 1) {
      const body = userBody(900_000 + i, { prefix: 'race-' });
      const statuses = (await Promise.all([a.request('POST', '/Users', body), b.request('POST', '/Users', body)])).map((result) => result.status).sort();
      raceOutcomes.set(statuses.join('+'), (raceOutcomes.get(statuses.join('+')) ?? 0) + 1);
    }

    // 3. Let the delivery workers drain.
    const deliveries = db.collection<{ webhook: string; state: string }>('deliveries');
    const drainDeadline = Date.now() + 180_000;
    while (Date.now() < drainDeadline && (await deliveries.countDocuments({ webhook: WEBHOOK, state: { $ne: 'delivered' } })) > 0) await delay(1_000);
    await delay(2 * 200 + 500);

    // 4. Checks.
    let lost = 0;
    let written = 0;
    for (const [id, emails] of tally.emails) {
      const user = await a.json<{ emails?: { value: string }[] }>('GET', `/Users/${id}`, undefined, 200);
      const stored = new Set((user.emails ?? []).map((email) => email.value));
      written += emails.size;
      for (const email of emails) if (!stored.has(email)) lost += 1;
    }
    const memberList = await a.json<{ totalResults: number }>('GET', `/Users?filter=${q(`groups.value eq "${groupId}"`)}&count=0`, undefined, 200);
    const duplicates = await db
      .collection('users')
      .aggregate<{ _id: string; n: number }>([{ $group: { _id: '$nameLc', n: { $sum: 1 } } }, { $match: { n: { $gt: 1 } } }])
      .toArray();
    const stored = await db.collection('events').countDocuments({});
    const pending = await deliveries.countDocuments({ webhook: WEBHOOK, state: { $ne: 'delivered' } });
    const repeats = [...receiver.received.values()].filter((n) => n > 1).length;
    const eventIds = new Set((await db.collection<{ _id: string }>('events').find({}, { projection: { _id: 1 } }).toArray()).map((event) => event._id));
    const undelivered = [...eventIds].filter((id) => !receiver.received.has(id)).length;
    const races = [...raceOutcomes].map(([outcome, n]) => `${outcome} ×${n}`).join(', ');

    const rows: (string | number)[][] = [
      ['lost updates (hot users: load + bursts, both processes)', `${lost} of ${written} acknowledged email adds missing`, lost === 0 ? 'holds' : 'VIOLATED'],
      ['lost memberships', `${tally.members.size - memberList.totalResults} of ${tally.members.size} acknowledged adds missing (${memberList.totalResults} members)`, memberList.totalResults === tally.members.size ? 'holds' : 'VIOLATED'],
      ['uniqueness race (status pairs)', races, duplicates.length === 0 && !raceOutcomes.has('201+201') ? 'holds' : 'VIOLATED'],
      ['duplicate userNames stored', `${duplicates.length}`, duplicates.length === 0 ? 'holds' : 'VIOLATED'],
      ['events stored / delivered', `${stored} stored, ${eventIds.size - undelivered} delivered, ${pending} deliveries pending after drain`, undelivered === 0 && pending === 0 ? 'holds' : 'VIOLATED'],
      ['duplicate deliveries (same webhook-id)', `${repeats} event ids delivered more than once; ${receiver.badSignatures()} bad signatures`, repeats === 0 ? 'holds' : 'at-least-once repeats'],
    ];
    const opRows = [...tally.ops].map(([op, statuses]) => [op, [...statuses].map(([status, n]) => `${status}×${n}`).join(' ')]);
    const lines = runHeader('Scale-out: two server processes on one database', commandLine('scale-out'), database.label);
    lines.push(`${users} seeded users, ${hot} hot users, ${connections} clients per process for ${seconds} s, then ${burst} simultaneous PATCHes per hot user split over both processes, then ${names} userName races; webhook receiver in the bench process.`, '');
    lines.push(...table(['operation', 'statuses'], opRows), '', ...table(['check', 'observed', 'verdict'], rows));
    printBlock(lines);
  } finally {
    for (const server of servers) await server.stop();
    await receiver.close();
    await database.close();
  }
}

await main();
