import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPOSITORY_ROOT } from '../../src/repository-root.js';
import type { ResourceRecord, Storage } from '../../src/store/contract.js';
import { createMongoStorage } from '../../src/store/mongo/storage.js';
import { runCli, type CliRun } from '../support/cli.js';
import { directorySnapshot } from '../support/directory-snapshot.js';
import { testDatabaseUri, uniqueDbName } from '../support/engine.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const POLICY_FILE = path.join(REPOSITORY_ROOT, 'schemas', 'policy.example.json');
const MAPPING = path.join(REPOSITORY_ROOT, 'schemas', 'hr-mapping.example.json');
const FIXTURES = path.join(REPOSITORY_ROOT, 'test', 'fixtures', 'hr');
/** 50 people (quoted fields, UTF-8 names, CRLF): the first full extract. */
const DAY_1 = path.join(FIXTURES, 'extract-day1.csv');
/** The next day: E10006 moves to Sales (department, cost centre, title, manager), E10022 gets a new manager,
 * E10029 a new work email and no office phone, E10024, E10035 and E10040 left, E10051 and E10052 joined
 * (E10052 reports to E10051, listed before them). */
const DAY_2 = path.join(FIXTURES, 'extract-day2.csv');

const enterprise = (user: ResourceRecord | undefined) => (user?.attributes[ENTERPRISE] ?? {}) as Record<string, unknown>;
const managerOf = (user: ResourceRecord | undefined) => (enterprise(user)['manager'] as { value?: string } | undefined)?.value;
const grantNames = (user: ResourceRecord | undefined) => (user?.lifecycle?.grants ?? []).map((grant) => grant.name).sort();

/** The summary line of an applied run: joiners, movers, leavers, unchanged, rejected. */
function applied(run: CliRun): number[] {
  const match = /reconciled .*: (\d+) joiners? created, (\d+) movers? updated, (\d+) leavers? deactivated, (\d+) unchanged, (\d+) rejected/.exec(run.stdout);
  assert.ok(match, `summary line: ${run.stdout} ${run.stderr}`);
  return match.slice(1).map(Number);
}

describe('import --format csv --map --reconcile (HR feed reconciliation)', function () {
  this.timeout(300_000);
  let dir: string;
  let uri: string;
  let storage: Storage;

  const feed = (tenant: string, file: string, ...extra: string[]) => runCli('import', [file, '--format', 'csv', '--map', MAPPING, '--reconcile', '--tenant', tenant, ...extra], { MONGODB_URI: uri, POLICY_FILE });

  /** The tenant's users by externalId (those without one by userName). */
  async function users(tenant: string): Promise<Map<string, ResourceRecord>> {
    const { items } = await storage.users.list(tenant, { descending: false, startIndex: 1, count: 10_000 });
    return new Map(items.map((user) => [String(user.attributes['externalId'] ?? user.attributes['userName']), user]));
  }

  /** Users an IdP provisioned: the feed owns none of them (its "owns" is ^E[0-9]{5}$). */
  async function idpUsers(tenant: string): Promise<void> {
    const idp = [
      { userName: 'consultant@partner.example', externalId: '00u1a2b3c4OKTA', active: true },
      { userName: 'e10099@example.com', externalId: 'e10099', active: true },
      { userName: 'service-desk@example.com', active: true },
    ];
    for (const [index, attributes] of idp.entries()) await storage.users.create({ tenant, id: `${tenant}-idp-${index}`, attributes });
  }

  async function extract(name: string, lines: string[]): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, `${lines.join('\r\n')}\r\n`);
    return file;
  }

  const linesOf = async (file: string) => (await readFile(file, 'utf8')).trimEnd().split('\r\n');

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'scim-hr-feed-'));
    uri = testDatabaseUri(uniqueDbName('cli_hr_reconcile'));
    storage = await createMongoStorage({ uri });
  });
  after(async () => {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('joiners, movers and leavers', () => {
    const tenant = 'acme';
    before(() => idpUsers(tenant));

    it('--dry-run prints the plan of the first extract (50 joiners) and writes nothing', async () => {
      const before = await directorySnapshot(storage, tenant);
      const run = await feed(tenant, DAY_1, '--dry-run');
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /the feed owns 0 users/);
      assert.match(run.stdout, /^joiners \(50\):$/m);
      assert.match(run.stdout, /^ {2}\+ E10009 taro\.tanaka@example\.com \(line 10\)$/m);
      assert.match(run.stdout, /dry run of .*extract-day1\.csv, nothing written: 50 joiners, 0 movers, 0 leavers, 0 unchanged/);
      assert.deepEqual(await directorySnapshot(storage, tenant), before);
    });

    it('creates the 50 joiners as the columns say, through the lifecycle (roles, events, audit as POST)', async () => {
      const run = await feed(tenant, DAY_1);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(applied(run), [50, 0, 0, 0, 0]);
      const stored = await users(tenant);
      assert.equal(stored.size, 53, '50 people and the 3 IdP users');
      const taro = stored.get('E10009');
      assert.deepEqual(taro?.attributes['name'], { givenName: '太郎', familyName: '田中' });
      assert.equal(taro?.attributes['displayName'], 'Taro Tanaka');
      assert.equal(taro?.attributes['userName'], 'taro.tanaka@example.com');
      assert.deepEqual(taro?.attributes['emails'], [{ type: 'work', value: 'taro.tanaka@example.com' }]);
      assert.deepEqual(taro?.attributes['phoneNumbers'], [{ type: 'work', value: '+44 20 7946 0009' }]);
      assert.deepEqual(enterprise(taro), { employeeNumber: 'P10009', department: 'Engineering', costCenter: 'CC-2000', manager: { value: stored.get('E10007')?.id } });
      assert.equal((stored.get('E10017')?.attributes['name'] as Record<string, unknown>)['familyName'], 'Smith, Jr.', 'a quoted comma');
      assert.equal(stored.get('E10046')?.attributes['title'], 'Director, "Special" Projects', 'quoted quotes');
      assert.equal((stored.get('E10003')?.attributes['name'] as Record<string, unknown>)['givenName'], 'Søren');
      assert.equal(managerOf(stored.get('E10001')), undefined, 'an empty Manager ID: no manager');
      assert.equal(stored.get('E10001')?.attributes['active'], true);
      assert.deepEqual(grantNames(stored.get('E10018')), ['employee-baseline', 'sales-rep'], 'the policy granted as for POST');
      assert.deepEqual(grantNames(stored.get('E10024')), ['contractor-limited']);
      const audit = (await storage.audit.query({ tenant, limit: 1000 })).filter((entry) => entry.actor === 'cli:import');
      assert.equal(audit.filter((entry) => entry.operation === 'create').length, 50);
      assert.equal(new Set(audit.map((entry) => entry.requestId)).size, 1, 'one request id for the run');
      assert.match(run.stdout, new RegExp(`request id ${audit[0]?.requestId}`));
      assert.deepEqual(
        (await storage.events.forSubject(tenant, taro?.id as string)).map((event) => event.type),
        ['user.provisioned'],
      );
    });

    it('rerunning the same extract is a no-op: no versions, audit entries or events', async () => {
      const before = await directorySnapshot(storage, tenant);
      const run = await feed(tenant, DAY_1);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(applied(run), [0, 0, 0, 50, 0]);
      assert.deepEqual(await directorySnapshot(storage, tenant), before);
    });

    it("--dry-run of the next day's extract plans joiners, movers (each change before → after) and leavers; writes nothing", async () => {
      const before = await directorySnapshot(storage, tenant);
      const run = await feed(tenant, DAY_2, '--dry-run');
      assert.equal(run.code, 0, run.stderr);
      const plan = run.stdout;
      assert.match(plan, /the feed owns 50 users \(50 active\)/);
      assert.match(plan, /^joiners \(2\):\n {2}\+ E10052 cecilia\.payne@example\.com \(line 22\)\n {2}\+ E10051 rosalind\.franklin@example\.com \(line 50\)$/m);
      assert.ok(
        plan.includes(
          [
            'movers (3):',
            '  ~ E10006 lukasz.zolc@example.com (line 7)',
            '      title: "Software Engineer" → "Sales Engineer"',
            `      ${ENTERPRISE}:department: "Engineering" → "Sales"`,
            `      ${ENTERPRISE}:costCenter: "CC-2000" → "CC-3000"`,
            `      ${ENTERPRISE}:manager.value: "E10002" → "E10017"`,
            '  ~ E10022 priya.raman@example.com (line 24)',
            `      ${ENTERPRISE}:manager.value: "E10021" → "E10017"`,
            '  ~ E10029 ana.garcia@example.com (line 30)',
            '      emails[type eq "work"].value: "ana.garcia@example.com" → "ana.garcia-lopez@example.com"',
            '      phoneNumbers[type eq "work"].value: "+44 20 7946 0029" → (none)',
          ].join('\n'),
        ),
        plan,
      );
      assert.ok(
        plan.includes(
          [
            'leavers (3):',
            '  - E10024 olga.ivanova@example.com: active true → false',
            '  - E10035 sofia.papadopoulou@example.com: active true → false',
            '  - E10040 ravi.patel@example.com: active true → false',
          ].join('\n'),
        ),
        plan,
      );
      assert.match(plan, /nothing written: 2 joiners, 3 movers, 3 leavers, 44 unchanged/);
      assert.deepEqual(await directorySnapshot(storage, tenant), before);
    });

    it('applies it: joiners created (manager first), movers PATCHed in just the changed attributes, leavers deactivated with their roles revoked and groups left', async () => {
      const olga = (await users(tenant)).get('E10024') as ResourceRecord;
      const group = await storage.groups.create({ tenant, id: 'apac-sales', attributes: { displayName: 'APAC Sales' } });
      await storage.memberships.apply(tenant, group.id, [{ id: olga.id, kind: 'User', display: undefined }], []);
      const before = await users(tenant);
      const run = await feed(tenant, DAY_2);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(applied(run), [2, 3, 3, 44, 0]);
      const after = await users(tenant);
      const requestId = /request id (\S+)/.exec(run.stdout)?.[1];
      const audit = (await storage.audit.query({ tenant, limit: 1000 })).filter((entry) => entry.requestId === requestId);

      assert.equal(managerOf(after.get('E10052')), after.get('E10051')?.id, 'a joiner managed by a joiner');
      assert.equal(managerOf(after.get('E10051')), after.get('E10001')?.id);

      const lukasz = after.get('E10006');
      assert.deepEqual(enterprise(lukasz), { employeeNumber: 'P10006', department: 'Sales', costCenter: 'CC-3000', manager: { value: after.get('E10017')?.id } });
      assert.equal(lukasz?.attributes['title'], 'Sales Engineer');
      assert.equal(lukasz?.version, (before.get('E10006')?.version ?? 0) + 1, 'one PATCH, one version');
      assert.equal(managerOf(after.get('E10022')), after.get('E10017')?.id);
      const moverEntry = audit.find((entry) => entry.resourceId === lukasz?.id);
      assert.equal(moverEntry?.operation, 'patch');
      assert.deepEqual(grantNames(lukasz), ['employee-baseline', 'sales-rep'], 'the policy follows the move');
      assert.deepEqual(
        moverEntry?.grantsAdded.map((grant) => grant.name),
        ['sales-rep'],
      );
      assert.ok((await storage.events.forSubject(tenant, lukasz?.id as string)).some((event) => event.type === 'user.roles_changed'));
      const ana = after.get('E10029');
      assert.deepEqual(ana?.attributes['emails'], [{ type: 'work', value: 'ana.garcia-lopez@example.com' }]);
      assert.equal(ana?.attributes['phoneNumbers'], undefined, 'an emptied cell removes the value');

      for (const key of ['E10024', 'E10035', 'E10040']) {
        const leaver = after.get(key);
        assert.equal(leaver?.attributes['active'], false, key);
        assert.deepEqual(leaver?.lifecycle?.grants ?? [], [], `${key}: no grants left`);
        assert.deepEqual(leaver?.lifecycle?.permissions ?? [], [], `${key}: no permissions left`);
        const entry = audit.find((candidate) => candidate.resourceId === leaver?.id);
        assert.equal(entry?.operation, 'patch');
        assert.deepEqual(
          entry?.grantsRevoked.map((grant) => grant.name),
          grantNames(before.get(key)),
        );
        const events = (await storage.events.forSubject(tenant, leaver?.id as string)).map((event) => event.type);
        assert.ok(events.includes('user.deactivated'), `${key}: ${events.join(', ')}`);
      }
      assert.deepEqual(grantNames(before.get('E10040')), ['employee-baseline'], 'the intern had a role to lose');
      assert.deepEqual(after.get('E10024')?.groupIds, [], 'the policy says leavers leave their groups');
      assert.deepEqual(await storage.memberships.membersOf(tenant, group.id), []);

      for (const [key, user] of before) {
        if (['E10006', 'E10022', 'E10029', 'E10024', 'E10035', 'E10040'].includes(key)) continue;
        assert.equal(after.get(key)?.version, user.version, `${key} unchanged`);
      }
      assert.deepEqual(
        audit.map((entry) => `${entry.resourceType} ${entry.operation}`).sort(),
        [...Array(2).fill('User create'), ...Array(6).fill('User patch'), 'Group membership'].sort(),
        '2 creates, 3 mover and 3 leaver PATCHes, and the group E10024 left',
      );
      for (const key of ['00u1a2b3c4OKTA', 'e10099', 'service-desk@example.com']) assert.equal(after.get(key)?.attributes['active'], true, `the IdP's ${key} is not the feed's`);
    });

    it('rerunning it is a no-op', async () => {
      const before = await directorySnapshot(storage, tenant);
      const run = await feed(tenant, DAY_2);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(applied(run), [0, 0, 0, 49, 0]);
      assert.deepEqual(await directorySnapshot(storage, tenant), before);
    });

    it('a leaver back in the extract is reactivated, and the policy grants their roles again', async () => {
      const ravi = (await linesOf(DAY_1)).find((line) => line.startsWith('E10040,')) as string;
      const file = await extract('returning.csv', [...(await linesOf(DAY_2)), ravi]);
      const run = await feed(tenant, file);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /~ E10040 ravi\.patel@example\.com \(line 51\) returning: reactivated\n {6}active: false → true\n/);
      assert.deepEqual(applied(run), [0, 1, 0, 49, 0]);
      const back = (await users(tenant)).get('E10040');
      assert.equal(back?.attributes['active'], true);
      assert.deepEqual(grantNames(back), ['employee-baseline']);
      assert.ok((await storage.events.forSubject(tenant, back?.id as string)).some((event) => event.type === 'user.reactivated'));
    });

    it("a joiner the service refuses (its userName is an IdP user's) is listed and skipped; the rest is applied, exit 3", async () => {
      const taken = 'E10060,consultant@partner.example,Ines,Costa,Ines Costa,ines.costa@example.com,Consultant,Employee,Sales,CC-3000,E10003,+44 20 7946 0060,P10060,2026-12-02';
      const fine = 'E10061,noor.hassan@example.com,Noor,Hassan,Noor Hassan,noor.hassan@example.com,Sales Representative,Employee,Sales,CC-3000,E10017,+44 20 7946 0061,P10061,2026-12-02';
      const ravi = (await linesOf(DAY_1)).find((line) => line.startsWith('E10040,')) as string;
      const file = await extract('refused.csv', [...(await linesOf(DAY_2)), ravi, taken, fine]);
      const run = await feed(tenant, file);
      assert.equal(run.code, 3, run.stderr);
      assert.match(run.stderr, /line 52: E10060: 409 uniqueness: /);
      assert.deepEqual(applied(run), [1, 0, 0, 50, 1]);
      const stored = await users(tenant);
      assert.equal(stored.get('E10060'), undefined);
      assert.equal(stored.get('E10061')?.attributes['userName'], 'noor.hassan@example.com');
      assert.equal(stored.get('00u1a2b3c4OKTA')?.attributes['name'], undefined, 'the IdP user is not adopted');
    });
  });

  describe('the leaver threshold', () => {
    const tenant = 'threshold';
    let truncated: string;
    before(async () => {
      await idpUsers(tenant);
      assert.equal((await feed(tenant, DAY_1)).code, 0);
      // A cut-off file: the header and the first 30 people.
      truncated = await extract('truncated.csv', (await linesOf(DAY_1)).slice(0, 31));
    });

    it('refuses to deactivate more than --max-leavers (default 10%) of the owned active users, changing nothing; --dry-run says so too', async () => {
      const before = await directorySnapshot(storage, tenant);
      for (const extra of [[], ['--dry-run']]) {
        const run = await feed(tenant, truncated, ...extra);
        assert.equal(run.code, 1, run.stderr);
        assert.match(run.stdout, /^leavers \(20\):$/m, 'the plan is printed first');
        assert.match(run.stderr, /refusing to deactivate 20 of the 50 active users the feed owns \(40\.0%, more than --max-leavers 10%\); nothing was changed: .*--force/);
        assert.doesNotMatch(run.stdout, /reconciled/);
      }
      const run = await feed(tenant, truncated, '--max-leavers', '35%');
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /more than --max-leavers 35%/);
      assert.deepEqual(await directorySnapshot(storage, tenant), before);
    });

    it('--force (or a --max-leavers above the share) deactivates them; users the feed does not own stay', async () => {
      const run = await feed(tenant, truncated, '--force');
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(applied(run), [0, 0, 20, 30, 0]);
      const stored = await users(tenant);
      assert.equal([...stored.values()].filter((user) => user.attributes['active'] === false).length, 20);
      for (const key of ['00u1a2b3c4OKTA', 'e10099', 'service-desk@example.com']) assert.equal(stored.get(key)?.attributes['active'], true, key);
      const back = await feed(tenant, DAY_1, '--max-leavers', '0');
      assert.equal(back.code, 0, back.stderr);
      assert.deepEqual(applied(back), [0, 20, 0, 30, 0], 'all of them return; no leavers, so no threshold');
    });
  });

  describe('interrupted', () => {
    it('Ctrl-C stops after the writes in flight, keeps them and exits 130; rerunning the extract finishes it', async () => {
      const tenant = 'interrupts';
      let sent = false;
      const stopped = await runCli('import', [DAY_1, '--format', 'csv', '--map', MAPPING, '--reconcile', '--tenant', tenant], { MONGODB_URI: uri, POLICY_FILE }, {
        onStderr: (stderr, child) => {
          if (!sent && stderr.includes('[import] using MONGODB_URI')) {
            sent = true;
            child.kill('SIGINT');
          }
        },
      });
      assert.equal(stopped.code, 130, stopped.stderr);
      assert.match(stopped.stderr, /SIGINT: finishing the writes in flight, then stopping/);
      assert.match(stopped.stdout, /; interrupted: the rest of the plan was not applied \(rerun the extract to finish\); request id/);
      const [created = 0] = applied(stopped);
      assert.ok(created < 50, stopped.stdout);
      assert.equal((await users(tenant)).size, created);
      const finished = await feed(tenant, DAY_1);
      assert.equal(finished.code, 0, finished.stderr);
      assert.deepEqual(applied(finished), [50 - created, 0, 0, created, 0]);
    });
  });

  describe('bad mappings, extracts and options change nothing', () => {
    const tenant = 'inputs';
    const header = 'Employee ID,Login,First Name,Last Name,Preferred Name,Work Email,Job Title,Worker Type,Department,Cost Center,Manager ID,Office Phone,Payroll ID';
    const row = (id: string, manager = 'E10001') => `${id},${id.toLowerCase()}@example.com,Jo,Doe,Jo Doe,${id.toLowerCase()}@example.com,Engineer,Employee,Engineering,CC-2000,${manager},+1 555 0100,P1`;
    const mapping = async (columns: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
      const base = JSON.parse(await readFile(MAPPING, 'utf8')) as Record<string, unknown>;
      const file = path.join(dir, `mapping-${Math.random().toString(36).slice(2)}.json`);
      await writeFile(file, JSON.stringify({ ...base, columns: { ...(base['columns'] as object), ...columns }, ...extra }));
      return file;
    };
    before(async () => {
      assert.equal((await feed(tenant, DAY_1)).code, 0);
    });

    const cases: { name: string; args: () => Promise<string[]>; code: number; message: RegExp }[] = [
      { name: 'a mapping that is not JSON', args: async () => [DAY_1, '--map', await extract('broken.json', ['{"key": ']), '--reconcile'], code: 2, message: /broken\.json is not valid JSON/ },
      { name: 'an unknown attribute path', args: async () => [DAY_1, '--map', await mapping({ Department: 'departmnt' }), '--reconcile'], code: 2, message: /columns\["Department"\]: 'departmnt' names an unknown attribute/ },
      { name: 'a read-only attribute', args: async () => [DAY_1, '--map', await mapping({ 'Hire Date': 'meta.created' }), '--reconcile'], code: 2, message: /columns\["Hire Date"\]: 'meta\.created' is readOnly: a feed cannot set it/ },
      { name: 'a multi-valued attribute without its type', args: async () => [DAY_1, '--map', await mapping({ 'Work Email': 'emails.value' }), '--reconcile'], code: 2, message: /columns\["Work Email"\]: 'emails\.value' is multi-valued: map one value by its type, e\.g\. 'emails\[type eq "work"\]\.value'/ },
      { name: 'a value filter other than type eq', args: async () => [DAY_1, '--map', await mapping({ 'Work Email': 'emails[primary eq true].value' }), '--reconcile'], code: 2, message: /a value filter here must be \[type eq "<type>"\]/ },
      { name: 'a key column mapped to neither externalId nor userName', args: async () => [DAY_1, '--map', await mapping({}, { key: 'Department' }), '--reconcile'], code: 2, message: /the key column "Department" must map to externalId or userName/ },
      { name: 'a key column the mapping lacks', args: async () => [DAY_1, '--map', await mapping({}, { key: 'Staff No' }), '--reconcile'], code: 2, message: /the key column "Staff No" is not one of "columns"/ },
      { name: 'an "owns" that is no regular expression', args: async () => [DAY_1, '--map', await mapping({}, { owns: '^E[' }), '--reconcile'], code: 2, message: /"owns" is not a valid regular expression/ },
      { name: 'a misspelt mapping field', args: async () => [DAY_1, '--map', await mapping({}, { own: 'x' }), '--reconcile'], code: 2, message: /Unrecognized key.*"own"/ },
      { name: 'two columns for one attribute', args: async () => [DAY_1, '--map', await mapping({ 'Preferred Name': 'title' }), '--reconcile'], code: 2, message: /columns "Preferred Name" and "Job Title" both map to 'title'/ },
      { name: '--format csv without --map', args: async () => [DAY_1], code: 2, message: /--format csv needs --map <mapping\.json>/ },
      { name: '--upsert with an HR feed', args: async () => [DAY_1, '--map', MAPPING, '--upsert'], code: 2, message: /--upsert applies to ndjson files/ },
      { name: '--force without --reconcile', args: async () => [DAY_1, '--map', MAPPING, '--force'], code: 2, message: /--force is about leavers, which only --reconcile/ },
      { name: 'a --max-leavers above 100%', args: async () => [DAY_1, '--map', MAPPING, '--reconcile', '--max-leavers', '150'], code: 2, message: /--max-leavers must be a percentage from 0 to 100, not "150"/ },
      { name: 'an extract without the key column', args: async () => [await extract('no-key.csv', [header.replace('Employee ID,', ''), row('E20001').replace(/^E20001,/, '')]), '--map', MAPPING, '--reconcile'], code: 1, message: /no-key\.csv has no column "Employee ID" \(the key column\) that .*hr-mapping\.example\.json maps; nothing was changed/ },
      { name: 'duplicate keys', args: async () => [await extract('twice.csv', [header, row('E20001'), row('E20002'), row('E20001')]), '--map', MAPPING, '--reconcile'], code: 1, message: /twice\.csv cannot be applied; nothing was changed: line 4: the key "E20001" \(column "Employee ID"\) repeats line 2/ },
      { name: 'malformed CSV (an unclosed quote)', args: async () => [await extract('quote.csv', [header, row('E20001').replace('Jo,Doe', '"Jo,Doe')]), '--map', MAPPING, '--reconcile'], code: 1, message: /quote\.csv is not well-formed CSV; nothing was changed: .*Quote Not Closed/i },
      { name: 'malformed CSV (a row with too many fields)', args: async () => [await extract('fields.csv', [header, `${row('E20001')},extra`]), '--map', MAPPING, '--reconcile'], code: 1, message: /fields\.csv is not well-formed CSV; nothing was changed: Invalid Record Length: expect 13, got 14 on line 2/ },
      { name: 'an empty key', args: async () => [await extract('empty-key.csv', [header, row('E20001').replace(/^E20001/, '')]), '--map', MAPPING, '--reconcile'], code: 1, message: /line 2: the key column "Employee ID" is empty/ },
      { name: 'a key outside "owns"', args: async () => [await extract('not-owned.csv', [header, row('X20001')]), '--map', MAPPING, '--reconcile'], code: 1, message: /line 2: the key "X20001" does not match "owns" \(\^E\[0-9\]\{5\}\$\).*the feed would create a user it does not own/ },
      { name: 'a manager nobody knows', args: async () => [await extract('ghost-manager.csv', [header, row('E20001', 'E99999')]), '--map', MAPPING], code: 1, message: /line 2: E20001: '.*:manager\.value' names "E99999", who is neither in the extract nor a user the feed owns/ },
      { name: 'a manager who is the person themselves', args: async () => [await extract('own-manager.csv', [header, row('E20001', 'E20001')]), '--map', MAPPING], code: 1, message: /line 2: E20001: '.*:manager\.value' names the person themselves/ },
      { name: 'new users managing each other', args: async () => [await extract('cycle.csv', [header, row('E20001', 'E20002'), row('E20002', 'E20001')]), '--map', MAPPING], code: 1, message: /new users reference each other in a cycle \(E20001 → E20002 → E20001\)/ },
      { name: 'a cell its attribute cannot hold', args: async () => [await extract('bad-value.csv', [header, row('E20001')]), '--map', await mapping({ 'Worker Type': 'active' })], code: 1, message: /line 2: E20001, column "Worker Type": "Employee" is not a boolean/ },
      { name: 'an empty file', args: async () => [await extract('empty.csv', []), '--map', MAPPING, '--reconcile'], code: 1, message: /empty\.csv has no header row; nothing was changed/ },
    ];

    for (const { name, args, code, message } of cases) {
      it(`${name}: exit ${code}, a message naming the file and column`, async () => {
        const before = await directorySnapshot(storage, tenant);
        const [file, ...rest] = await args();
        const run = await runCli('import', [file as string, '--format', 'csv', '--tenant', tenant, ...rest], { MONGODB_URI: uri, POLICY_FILE });
        assert.equal(run.code, code, run.stderr);
        assert.match(run.stderr, message);
        assert.equal(run.stdout, '', 'no plan for input that cannot be applied');
        assert.deepEqual(await directorySnapshot(storage, tenant), before);
      });
    }
  });
});
