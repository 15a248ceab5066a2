import assert from 'node:assert/strict';
import supertest from 'supertest';
import { ENTERPRISE, LIFECYCLE } from '../support/app.js';
import { startConsoleBrowser, type ConsoleBrowser } from '../support/browser.js';
import { seedDirectory, type SeededDirectory } from '../support/console-data.js';

interface Grant {
  kind: string;
  name: string;
  source: string;
  rules?: string[];
}

/**
 * The console's directory pages show what the SCIM and admin APIs answer: the users a prefix
 * search finds, a user's grants and groups, a group's members, a role's holders, the access
 * review's figures and the audit trail's filtered entries.
 */
describe('Console: users, groups, roles, access review and audit pages', function () {
  this.timeout(180_000);
  let c: ConsoleBrowser;
  let seeded: SeededDirectory;
  let adminToken: string;
  const scim = (path: string) => c.t.scim.get(path);
  const rows = (caption: string) => c.tableRows(caption);

  /** A download as the signed-in browser would save it (the CSP forbids a page's own fetch). */
  const download = async (href: string) => {
    const cookie = (await c.page.cookies()).map((entry) => `${entry.name}=${entry.value}`).join('; ');
    const response = await fetch(`${c.origin}${href}`, { headers: { Cookie: cookie } });
    assert.equal(response.status, 200, href);
    return response.text();
  };

  before(async () => {
    c = await startConsoleBrowser('console-directory-pages');
    seeded = await seedDirectory(c.t);
    adminToken = await c.token(['audit:read'], 'auditor');
    await c.signIn(adminToken);
    c.takeErrors();
  });
  after(() => c.close());

  afterEach(async () => {
    assert.deepEqual(c.takeErrors(), []);
    assert.deepEqual(await c.takeCspViolations(), []);
  });

  for (const [field, prefix, filter] of [
    ['familyName', 'l', 'name.familyName sw "l"'],
    ['department', 'sal', `${ENTERPRISE}:department sw "sal"`],
    ['userName', 'GRACE', 'userName sw "grace"'],
  ] as const) {
    it(`finds users whose ${field} starts with "${prefix}", as a SCIM filter with sw does`, async () => {
      const response = await c.visit(`/users?field=${field}&q=${encodeURIComponent(prefix)}`);
      assert.equal(response.status(), 200);
      const shown = (await rows(`Users whose ${field === 'familyName' ? 'Family name' : field === 'department' ? 'Department' : 'userName'} starts with "${prefix}"`)) ?? [];
      const api = await scim(`/Users?filter=${encodeURIComponent(filter)}&count=100`);
      const expected = (api.body.Resources as { userName: string }[]).map((user) => user.userName).sort();
      assert.deepEqual(shown.map((row) => row[0]).sort(), expected);
      assert.ok(expected.length > 0);
    });
  }

  it('lists only inactive users when asked, as the lifecycle state says', async () => {
    await c.visit('/users?field=userName&q=&state=inactive');
    const shown = (await rows('Users by userName')) ?? [];
    assert.deepEqual(shown.map((row) => row[0]).sort(), [...seeded.inactive].sort());
  });

  it('shows a user’s grants with their source and rules, permissions and groups as GET /Users/{id} has them', async () => {
    const id = seeded.users.get('ada.lovelace@example.com') as string;
    const response = await c.visit(`/users/${id}`);
    assert.equal(response.status(), 200);
    const api = (await scim(`/Users/${id}`)).body as Record<string, unknown>;
    // The stored lifecycle state, which the API renders under its extension.
    const lifecycle = (await c.t.storage.users.get('default', id))?.lifecycle as { grants: Grant[]; permissions: string[] };
    assert.equal((api[LIFECYCLE] as { state?: string } | undefined)?.state ?? 'active', 'active');
    const grants = (await rows('Grants, with their source and the rules that gave them')) ?? [];
    assert.deepEqual(
      grants.map(([kind, name, source, rules]) => [kind, name, source, rules]),
      lifecycle.grants.map((grant) => [grant.kind, grant.name, grant.source === 'policy' ? 'policy' : 'sent by the IdP', (grant.rules ?? []).join(', ') || '—']),
    );
    const groups = (await rows('Groups (direct memberships)')) ?? [];
    assert.deepEqual(groups.map((row) => row[0]).sort(), ((api['groups'] as { display: string }[]) ?? []).map((group) => group.display).sort());
    const text = await c.page.$eval('main', (main) => main.textContent ?? '');
    for (const permission of lifecycle.permissions) assert.ok(text.includes(permission), permission);
    const timeline = (await rows('Audit timeline, newest first')) ?? [];
    assert.ok(timeline.length >= 1 && timeline.some((row) => row[1] === 'create'));
  });

  it('shows a group’s members as GET /Groups/{id} lists them, and the roles it confers through policy', async () => {
    const id = seeded.groups.get('Engineering On-Call') as string;
    await c.visit(`/groups/${id}`);
    const members = (await rows('Member users by userName')) ?? [];
    const api = (await scim(`/Groups/${id}`)).body as { members: { display: string }[] };
    assert.deepEqual(members.map((row) => row[0]).sort(), api.members.map((member) => member.display).sort());
    const conferred = (await rows('Roles this group confers through policy')) ?? [];
    assert.deepEqual(conferred.map((row) => [row[0], row[1]]), [['engineering-oncall', 'oncall']]);
  });

  it('shows a role’s holders: the users whose grants name it', async () => {
    await c.visit('/roles/engineer');
    const holders = (await rows('Holders by userName')) ?? [];
    const records = await c.t.storage.users.getMany('default', [...seeded.users.values()]);
    const expected = records.filter((user) => (user.lifecycle?.grants ?? []).some((grant) => grant.name === 'engineer')).map((user) => String(user.attributes['userName']));
    assert.deepEqual(holders.map((row) => row[0]).sort(), expected.sort());
    assert.ok(expected.length > 0);
  });

  it('shows the access review’s figures as the admin API’s review counts them, and offers its CSV', async () => {
    await c.visit('/access-review');
    const review = await supertest(c.t.app).get('/admin/access-review?format=json').set('Authorization', `Bearer ${adminToken}`);
    const figure = (key: string) => c.page.$eval(`[data-figure="${key}"] .value`, (value) => Number(value.textContent));
    assert.equal(await figure('inactive-with-access'), review.body.summary.inactiveWithAccess);
    assert.equal(await figure('stale'), review.body.summary.stale);
    const csv = await download('/console/access-review/download/csv');
    const api = await supertest(c.t.app).get('/admin/access-review?format=csv').set('Authorization', `Bearer ${adminToken}`);
    assert.equal(csv.split('\n')[0], String(api.text).split('\n')[0]);
    assert.equal(csv.split('\n').length, String(api.text).split('\n').length);
  });

  it('filters the audit trail as GET /admin/audit does', async () => {
    await c.visit('/audit?resourceType=Group');
    const shown = (await rows('Audit entries, newest first')) ?? [];
    const api = await supertest(c.t.app).get('/admin/audit?resourceType=Group&order=newest&limit=50').set('Authorization', `Bearer ${adminToken}`);
    assert.deepEqual(shown.map((row) => row[2]), (api.body.entries as { resourceId: string }[]).map((entry) => entry.resourceId));
    const exported = await download('/console/audit/download/ndjson?resourceType=Group');
    assert.equal(exported.trim().split('\n').length, api.body.entries.length);
  });
});
