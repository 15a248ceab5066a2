import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseFilter } from '../../src/scim/filter/parse.js';
import { REPOSITORY_ROOT } from '../../src/repository-root.js';
import type { ResourceRecord, Storage } from '../../src/store/contract.js';
import { createMongoStorage } from '../../src/store/mongo/storage.js';
import { testDatabaseUri, uniqueDbName } from '../support/engine.js';
import { runCli, type CliRun } from '../support/cli.js';
import { directorySnapshot } from '../support/directory-snapshot.js';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const POLICY_FILE = path.join(REPOSITORY_ROOT, 'schemas', 'policy.example.json');

const user = (userName: string, extra: Record<string, unknown> = {}) => JSON.stringify({ schemas: [USER_SCHEMA], userName, active: true, ...extra });
/** An employee the example policy grants employee-baseline to. */
const employee = (userName: string, externalId: string, extra: Record<string, unknown> = {}) =>
  user(userName, { externalId, userType: 'Employee', [ENTERPRISE]: { employeeNumber: externalId }, ...extra });
const group = (displayName: string, members: Record<string, string>[], extra: Record<string, unknown> = {}) => JSON.stringify({ schemas: [GROUP_SCHEMA], displayName, members, ...extra });

/** The summary line's counts: users and groups created, updated, unchanged; records rejected. */
function counts(run: CliRun): { users: number[]; groups: number[]; rejected: number } {
  const match = /: ([\d,]+) users? (?:created|to create), ([\d,]+) (?:updated|to update), ([\d,]+) unchanged; ([\d,]+) groups? (?:created|to create), ([\d,]+) (?:updated|to update), ([\d,]+) unchanged; ([\d,]+) rejected/.exec(run.stdout);
  assert.ok(match, `summary line: ${run.stdout} ${run.stderr}`);
  const numbers = match.slice(1).map((text) => Number(text.replace(/,/g, '')));
  return { users: numbers.slice(0, 3), groups: numbers.slice(3, 6), rejected: numbers[6] as number };
}

describe('import (CLI)', function () {
  this.timeout(180_000);
  let dir: string;
  let uri: string;
  let storage: Storage;
  const env = () => ({ MONGODB_URI: uri, POLICY_FILE });

  async function file(name: string, lines: string[]): Promise<string> {
    const target = path.join(dir, name);
    await writeFile(target, `${lines.join('\n')}\n`);
    return target;
  }

  async function findUser(userName: string): Promise<ResourceRecord | undefined> {
    return (await storage.users.list('default', { descending: false, startIndex: 1, count: 2, filter: parseFilter(`userName eq "${userName}"`) })).items[0];
  }

  async function findGroup(displayName: string): Promise<ResourceRecord | undefined> {
    return (await storage.groups.list('default', { descending: false, startIndex: 1, count: 2, filter: parseFilter(`displayName eq "${displayName}"`) })).items[0];
  }

  const memberIds = async (groupId: string) => (await storage.memberships.membersOf('default', groupId)).map((member) => member.id).sort();

  const snapshot = () => directorySnapshot(storage);

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'scim-import-'));
    uri = testDatabaseUri(uniqueDbName('cli_import'));
    storage = await createMongoStorage({ uri });
  });
  after(async () => {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('users and groups', () => {
    it('creates the users, then the groups with members named by userName, externalId or id; audited as cli:import', async () => {
      const stored = await storage.users.create({ tenant: 'default', id: 'stored-user-1', attributes: { userName: 'stored@example.com', active: true } });
      const source = await file('org.ndjson', [
        group('Engineering', [{ userName: 'ada@example.com' }, { externalId: 'e-2' }, { value: stored.id }]),
        employee('ada@example.com', 'e-1'),
        '',
        employee('grace@example.com', 'e-2'),
        group('Everyone', [{ userName: 'ADA@example.com' }, { userName: 'grace@example.com' }, { userName: 'stored@example.com' }]),
      ]);
      const run = await runCli('import', [source], env());
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(counts(run), { users: [2, 0, 0], groups: [2, 0, 0], rejected: 0 });
      const ada = await findUser('ada@example.com');
      const grace = await findUser('grace@example.com');
      assert.ok(ada && grace);
      assert.deepEqual(ada.lifecycle?.grants.map((grant) => grant.name), ['employee-baseline'], 'the policy applied');
      const engineering = await findGroup('Engineering');
      const everyone = await findGroup('Everyone');
      assert.ok(engineering && everyone);
      assert.deepEqual(await memberIds(engineering.id), [ada.id, grace.id, stored.id].sort());
      assert.deepEqual(await memberIds(everyone.id), [ada.id, grace.id, stored.id].sort());
      const audit = await storage.audit.query({ tenant: 'default', limit: 1000 });
      const mine = audit.filter((entry) => entry.actor === 'cli:import');
      assert.equal(mine.filter((entry) => entry.operation === 'create' && entry.resourceType === 'User').length, 2);
      assert.equal(mine.filter((entry) => entry.operation === 'create' && entry.resourceType === 'Group').length, 2);
      assert.equal(new Set(mine.map((entry) => entry.requestId)).size, 1, 'one request id for the run');
      assert.match(run.stdout, new RegExp(`request id ${mine[0]?.requestId}`));
    });

    it('refuses a group whose members cannot all be found, naming them; nothing of it is written', async () => {
      const source = await file('missing-members.ndjson', [group('Ghosts', [{ userName: 'ada@example.com' }, { userName: 'nobody@example.com' }, { externalId: 'none' }, { value: 'no-such-id' }])]);
      const run = await runCli('import', [source], env());
      assert.equal(run.code, 3, run.stderr);
      assert.match(run.stderr, /line 1: 409 invalidValue: members not found: userName "nobody@example.com", externalId "none", id "no-such-id"/);
      assert.equal(await findGroup('Ghosts'), undefined);
    });
  });

  describe('rejected records', () => {
    const mixed = () => [
      user('linus@example.com'),
      '{not json',
      user('ADA@example.com'),
      JSON.stringify({ schemas: [USER_SCHEMA], active: true }),
      '[1, 2]',
      group('Broken', [{ display: 'no key' }]),
      user('margaret@example.com'),
    ];

    it('lists each with its line number and SCIM error, imports the rest, exits 3; --rejects writes them all as NDJSON', async () => {
      const source = await file('mixed.ndjson', mixed());
      const rejects = path.join(dir, 'rejects.ndjson');
      const run = await runCli('import', [source, '--rejects', rejects], env());
      assert.equal(run.code, 3, run.stderr);
      assert.deepEqual(counts(run), { users: [2, 0, 0], groups: [0, 0, 0], rejected: 5 });
      assert.match(run.stderr, /line 2: 400 invalidSyntax: the line is not valid JSON/);
      assert.match(run.stderr, /line 3: 409 uniqueness: userName "ada@example.com" is already in use/);
      assert.match(run.stderr, /line 4: 400 /);
      assert.match(run.stderr, /line 5: 400 invalidSyntax: the line must be a JSON object/);
      assert.match(run.stderr, /line 6: 400 invalidValue: members\[0\] must name its member/);
      const written = (await readFile(rejects, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.deepEqual(
        written.map(({ line, type, key, status, scimType }) => [line, type, key, status, scimType]),
        [
          [2, null, null, 400, 'invalidSyntax'],
          [3, 'User', 'ADA@example.com', 409, 'uniqueness'],
          [4, 'User', null, 400, written[2]?.['scimType'] ?? null],
          [5, null, null, 400, 'invalidSyntax'],
          [6, 'Group', 'Broken', 400, 'invalidValue'],
        ],
      );
      assert.ok(written.every((entry) => typeof entry['reason'] === 'string' && entry['reason'] !== ''));
      assert.equal((await stat(rejects)).mode & 0o777, 0o600, 'it names people: private');
    });

    it('--rejects file.csv writes CSV with a header, quoting and no formula cells', async () => {
      const source = await file('csv-rejects.ndjson', [user('=cmd|calc@example.com', { active: 'maybe' }), user('linus@example.com')]);
      const rejects = path.join(dir, 'rejects.csv');
      const run = await runCli('import', [source, '--rejects', rejects], env());
      assert.equal(run.code, 3, run.stderr);
      const lines = (await readFile(rejects, 'utf8')).trimEnd().split('\n');
      assert.equal(lines[0], 'line,type,key,status,scimType,reason');
      assert.match(lines[1] ?? '', /^1,User,'=cmd\|calc@example\.com,400,\w+,/);
      assert.match(lines[2] ?? '', /^2,User,linus@example\.com,409,uniqueness,"?userName ""?linus@example\.com""? is already in use"?$/);
    });

    it('gives every record the same outcome whatever the batch size: --batch 2 over 7 lines with failures across batches', async () => {
      const source = await file('batched.ndjson', [user('b1@example.com'), user('b2@example.com'), user('B1@example.com'), '{not json', user('b3@example.com', { externalId: 'bx' }), user('b4@example.com'), user('b2@EXAMPLE.com')]);
      const run = await runCli('import', [source, '--batch', '2', '--concurrency', '1'], env());
      assert.equal(run.code, 3, run.stderr);
      assert.deepEqual(counts(run), { users: [4, 0, 0], groups: [0, 0, 0], rejected: 3 });
      const listed = [...run.stderr.matchAll(/line (\d+): (\d+)/g)].map((match) => [Number(match[1]), Number(match[2])]);
      assert.deepEqual(listed, [[3, 409], [4, 400], [7, 409]], 'reported in file order');
      const byExternalId = await storage.users.list('default', { descending: false, startIndex: 1, count: 10, filter: parseFilter('externalId eq "bx"') });
      assert.deepEqual(byExternalId.items.map((record) => record.attributes['userName']), ['b3@example.com']);
    });
  });

  describe('attributes no schema defines (UNKNOWN_ATTRIBUTES), as POST treats them', () => {
    it('ignore (the default): left out of users and groups, each named on stderr with its count; members still resolved', async () => {
      const source = await file('unknown.ndjson', [
        user('u1@example.com', { shoeSize: 44 }),
        user('u2@example.com', { shoeSize: 45, name: { givenName: 'U', nick: 'x' } }),
        user('u3@example.com'),
        group('Unknown Team', [{ userName: 'u1@example.com' }], { colour: 'red' }),
      ]);
      const run = await runCli('import', [source], env());
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(counts(run), { users: [3, 0, 0], groups: [1, 0, 0], rejected: 0 });
      assert.match(run.stderr, /ignored the unknown User attribute 'shoeSize' on 2 lines \(UNKNOWN_ATTRIBUTES=ignore\)/);
      assert.match(run.stderr, /ignored the unknown User attribute 'name\.nick' on 1 line /);
      assert.match(run.stderr, /ignored the unknown Group attribute 'colour' on 1 line /);
      const u2 = await findUser('u2@example.com');
      assert.equal(u2?.attributes['shoeSize'], undefined);
      assert.deepEqual(u2?.attributes['name'], { givenName: 'U' });
      const team = await findGroup('Unknown Team');
      assert.ok(team);
      assert.equal(team.attributes['colour'], undefined);
      assert.deepEqual(await memberIds(team.id), [(await findUser('u1@example.com'))?.id]);
    });

    it('reject: those records are rejected with the 400 POST answers, the others applied; exit 3', async () => {
      const source = await file('unknown-reject.ndjson', [user('r1-unknown@example.com', { shoeSize: 44 }), user('r2-unknown@example.com'), group('Rejected Team', [], { colour: 'red' })]);
      const run = await runCli('import', [source], { ...env(), UNKNOWN_ATTRIBUTES: 'reject' });
      assert.equal(run.code, 3, run.stderr);
      assert.deepEqual(counts(run), { users: [1, 0, 0], groups: [0, 0, 0], rejected: 2 });
      assert.match(run.stderr, /line 1: 400 invalidSyntax: Unknown attribute 'shoeSize'/);
      assert.match(run.stderr, /line 3: 400 invalidSyntax: Unknown attribute 'colour'/);
      assert.equal(await findUser('r1-unknown@example.com'), undefined);
      assert.equal(await findGroup('Rejected Team'), undefined);
    });
  });

  describe('--upsert', () => {
    it('matches by externalId, then by userName, and updates through the lifecycle (PUT semantics, audit entry, event)', async () => {
      await runCli('import', [await file('hr-1.ndjson', [employee('joan@example.com', 'h-1'), employee('kim@example.com', 'h-2'), user('lee@example.com', { title: 'Intern' })])], env());
      const joan = await findUser('joan@example.com');
      const kim = await findUser('kim@example.com');
      const lee = await findUser('lee@example.com');
      assert.ok(joan && kim && lee);
      const update = await file('hr-2.ndjson', [
        employee('joan.smith@example.com', 'h-1'), // renamed: found by externalId
        employee('kim@example.com', 'h-2', { active: false }), // leaver
        user('LEE@example.com', { title: 'Engineer' }), // no externalId: found by userName
        employee('kim@example.com', 'h-9'), // kim holds externalId h-2: someone else
        employee('new@example.com', 'h-3'), // created
      ]);
      const run = await runCli('import', [update, '--upsert'], env());
      assert.equal(run.code, 3, run.stderr);
      assert.deepEqual(counts(run), { users: [1, 3, 0], groups: [0, 0, 0], rejected: 1 });
      assert.match(run.stderr, /line 4: 409 uniqueness: userName "kim@example.com" belongs to a User with another externalId \("h-2"\)/);

      const renamed = await storage.users.get('default', joan.id);
      assert.equal(renamed?.attributes['userName'], 'joan.smith@example.com');
      const left = await storage.users.get('default', kim.id);
      assert.equal(left?.lifecycle?.state, 'inactive');
      assert.deepEqual(left?.lifecycle?.permissions, [], 'a leaver loses access');
      assert.ok((await storage.events.forSubject('default', kim.id)).some((event) => event.type === 'user.deactivated'));
      assert.equal((await storage.users.get('default', lee.id))?.attributes['title'], 'Engineer');
      const audit = await storage.audit.query({ tenant: 'default', resourceId: kim.id, limit: 10 });
      assert.deepEqual(audit.map((entry) => [entry.operation, entry.actor]), [['create', 'cli:import'], ['replace', 'cli:import']]);
      assert.ok(await findUser('new@example.com'));
    });

    it('a password is set when the upsert creates the user, never changed when it updates one', async () => {
      const source = await file('passwords.ndjson', [user('pat@example.com', { externalId: 'p-1', password: 'Initial-Passw0rd!' })]);
      assert.equal((await runCli('import', [source, '--upsert'], env())).code, 0);
      const created = await findUser('pat@example.com');
      const again = await runCli('import', [source, '--upsert'], env());
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(counts(again), { users: [0, 0, 1], groups: [0, 0, 0], rejected: 0 });
      assert.equal((await findUser('pat@example.com'))?.version, created?.version);
    });

    it('groups: matched by externalId, then displayName; members replaced as PUT does', async () => {
      const first = await file('teams-1.ndjson', [user('m1@example.com'), user('m2@example.com'), user('m3@example.com'), group('Team Red', [{ userName: 'm1@example.com' }, { userName: 'm2@example.com' }], { externalId: 'g-red' })]);
      assert.equal((await runCli('import', [first, '--upsert'], env())).code, 0);
      const red = await findGroup('Team Red');
      assert.ok(red);
      const second = await file('teams-2.ndjson', [group('Team Crimson', [{ userName: 'm2@example.com' }, { userName: 'm3@example.com' }], { externalId: 'g-red' })]);
      const run = await runCli('import', [second, '--upsert'], env());
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(counts(run), { users: [0, 0, 0], groups: [0, 1, 0], rejected: 0 });
      const crimson = await storage.groups.get('default', red.id);
      assert.equal(crimson?.attributes['displayName'], 'Team Crimson');
      const m2 = await findUser('m2@example.com');
      const m3 = await findUser('m3@example.com');
      assert.deepEqual(await memberIds(red.id), [m2?.id, m3?.id].sort());
    });

    it('a rerun of the same file changes nothing: no new versions, audit entries or events; exit 0', async () => {
      const source = await file('rerun.ndjson', [
        employee('r1@example.com', 'r-1', { name: { givenName: 'R', familyName: 'One' }, emails: [{ value: 'r1@example.com', type: 'work', primary: true }] }),
        user('r2@example.com', { active: false }),
        group('Rerun Team', [{ userName: 'r1@example.com' }, { externalId: 'r-1' }, { userName: 'r2@example.com' }], { externalId: 'g-rerun' }),
        group('Rerun Empty', []),
      ]);
      const first = await runCli('import', [source, '--upsert'], env());
      assert.equal(first.code, 0, first.stderr);
      assert.deepEqual(counts(first), { users: [2, 0, 0], groups: [2, 0, 0], rejected: 0 });
      const before = await snapshot();
      const rerun = await runCli('import', [source, '--upsert'], env());
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.deepEqual(counts(rerun), { users: [0, 0, 2], groups: [0, 0, 2], rejected: 0 });
      assert.deepEqual(await snapshot(), before);

      // Without --upsert a rerun is refused record by record (409), and changes nothing either.
      const plain = await runCli('import', [source], env());
      assert.equal(plain.code, 3, plain.stderr);
      assert.deepEqual(counts(plain), { users: [0, 0, 0], groups: [0, 0, 0], rejected: 4 });
      assert.deepEqual(await snapshot(), before);
    });
  });

  describe('--dry-run', () => {
    it('writes nothing and reports what a real run then does, record by record', async () => {
      await runCli('import', [await file('dry-seed.ndjson', [employee('d1@example.com', 'd-1'), group('Dry Team', [{ userName: 'd1@example.com' }])])], env());
      const source = await file('dry.ndjson', [
        employee('d1@example.com', 'd-1'), // as stored: unchanged
        employee('d1.renamed@example.com', 'd-1'), // the same person again, renamed: updated
        employee('d2@example.com', 'd-2'), // created
        employee('d2@example.com', 'd-other'), // d2 would hold d-2: refused
        '{broken', // refused
        group('Dry Team', [{ userName: 'd1.renamed@example.com' }, { externalId: 'd-2' }]), // a member more: updated
        group('Dry New', [{ userName: 'nobody@example.com' }]), // unknown member: refused
        group('Dry Other', [{ externalId: 'd-1' }]), // created
      ]);
      const before = await snapshot();
      const dry = await runCli('import', [source, '--upsert', '--dry-run', '--rejects', path.join(dir, 'dry-rejects.ndjson')], env());
      assert.equal(dry.code, 3, dry.stderr);
      assert.match(dry.stdout, /^dry run of .*dry\.ndjson, nothing written: /);
      assert.doesNotMatch(dry.stdout, /request id/);
      assert.deepEqual(await snapshot(), before, 'nothing written');

      const real = await runCli('import', [source, '--upsert', '--rejects', path.join(dir, 'real-rejects.ndjson')], env());
      assert.equal(real.code, 3, real.stderr);
      assert.deepEqual(counts(dry), counts(real));
      assert.deepEqual(counts(real), { users: [1, 1, 1], groups: [1, 1, 0], rejected: 3 });
      const rejected = async (name: string) => (await readFile(path.join(dir, name), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>).map(({ line, status, reason }) => [line, status, reason]);
      assert.deepEqual(await rejected('dry-rejects.ndjson'), await rejected('real-rejects.ndjson'));
    });
  });

  describe('interrupted', () => {
    it('Ctrl-C stops reading, keeps what was imported and exits 130; a rerun with --upsert finishes it', async () => {
      const lines = Array.from({ length: 300 }, (_, index) => user(`stop${index}@example.com`));
      const source = await file('interrupted.ndjson', lines);
      let sent = false;
      const stopped = await runCli('import', [source, '--batch', '5', '--concurrency', '1'], env(), {
        onStderr: (stderr, child) => {
          if (!sent && stderr.includes('[import] using MONGODB_URI')) {
            sent = true;
            child.kill('SIGINT');
          }
        },
      });
      assert.equal(stopped.code, 130, stopped.stderr);
      assert.match(stopped.stderr, /SIGINT: finishing the records in flight, then stopping/);
      assert.match(stopped.stdout, /; interrupted: records from line \d+ on were not read;/);
      const [imported] = counts(stopped).users;
      assert.ok(imported !== undefined && imported < lines.length, stopped.stdout);
      const finished = await runCli('import', [source, '--upsert', '--batch', '50'], env());
      assert.equal(finished.code, 0, finished.stderr);
      assert.deepEqual(counts(finished).users, [lines.length - imported, 0, imported]);
    });
  });

  describe('errors', () => {
    it('a file that cannot be read: one line naming it, exit 1, no stack', async () => {
      const missing = path.join(dir, 'missing.ndjson');
      const folder = path.join(dir, 'a-folder');
      await mkdir(folder);
      for (const [target, text] of [
        [missing, `import: cannot read ${missing}: no such file or directory\n`],
        [folder, `import: cannot read ${folder}: not a regular file\n`],
      ] as const) {
        const run = await runCli('import', [target], env());
        assert.equal(run.code, 1);
        assert.equal(run.stderr, text);
      }
      const source = await file('one.ndjson', [user('unwritten@example.com')]);
      const unwritable = path.join(dir, 'no-such-dir', 'rejects.csv');
      const run = await runCli('import', [source, '--rejects', unwritable], env());
      assert.equal(run.code, 1);
      assert.ok(run.stderr.endsWith(`import: cannot write ${unwritable}: no such file or directory\n`), run.stderr);
      assert.equal(await findUser('unwritten@example.com'), undefined, 'nothing imported');
    });

    for (const [args, message] of [
      [[], 'missing the file to import'],
      [['a.ndjson', '--concurrency', '0'], '--concurrency must be a whole number from 1 to 64, not "0"'],
      [['a.ndjson', '--batch', '1001'], '--batch must be a whole number from 1 to 1000, not "1001"'],
      [['a.ndjson', '--batch'], '--batch needs a value (<1-1000>)'],
      [['a.ndjson', '--bogus'], 'unknown option "--bogus"'],
      [['a.ndjson', 'b.ndjson'], 'unexpected argument "b.ndjson" (expected only the file to import)'],
      [['a.ndjson', '--format', 'xml'], '--format must be one of ndjson, csv, not "xml"'],
      [['a.ndjson', '--rejects', 'a.ndjson'], '--rejects must not be the file being imported'],
      [['a.ndjson', '--dry-run', '--init'], '--dry-run writes nothing, so it cannot --init a database'],
      [['a.ndjson', '--tenant', 'bad tenant'], '--tenant: the tenant must be 1-64 letters, digits, "-" or "_"'],
    ] as [string[], string][]) {
      it(`refuses bad arguments (${args.join(' ') || 'none'}) with exit 2 and one line`, async () => {
        const run = await runCli('import', args, env());
        assert.equal(run.code, 2);
        assert.equal(run.stderr, `import: ${message}; see "npm run import -- --help"\n`);
      });
    }
  });
});
