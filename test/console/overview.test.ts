import assert from 'node:assert/strict';
import supertest from 'supertest';
import { startConsoleBrowser, type ConsoleBrowser } from '../support/browser.js';
import { seedDirectory, type SeededDirectory } from '../support/console-data.js';
import type { LifecycleState } from '../../src/lifecycle/types.js';

/** The figures the overview shows, by their data-figure key. */
async function figuresShown(c: ConsoleBrowser): Promise<Record<string, string>> {
  await c.visit('/overview');
  const pairs = await c.page.$$eval('[data-figure]', (figures) => figures.map((figure) => [figure.getAttribute('data-figure'), figure.querySelector('.value')?.textContent, figure.classList.contains('alarm') ? 'alarm' : ''] as const));
  return Object.fromEntries(pairs.flatMap(([key, value, alarm]) => [[key, value], ...(alarm ? [[`${key}:alarm`, 'yes']] : [])]));
}

describe('Console: overview', function () {
  this.timeout(60_000);
  let c: ConsoleBrowser;
  let seeded: SeededDirectory;
  let auditToken: string;

  before(async () => {
    c = await startConsoleBrowser('console-overview');
    seeded = await seedDirectory(c.t);
    auditToken = await c.token(['audit:read'], 'auditor');
    await c.signIn(auditToken);
  });
  after(() => c.close());

  it('shows the counts the SCIM API and the access review give', async () => {
    const total = async (path: string) => Number(((await c.t.scim.get(path)).body as { totalResults: number }).totalResults);
    const review = (await supertest(c.t.app).get('/admin/access-review').set('Authorization', `Bearer ${auditToken}`)).body as { summary: Record<string, number> };
    const shown = await figuresShown(c);
    assert.equal(shown['users-active'], String(await total('/Users?filter=active%20eq%20true&count=0')));
    assert.equal(shown['users-inactive'], String(await total('/Users?filter=active%20eq%20false&count=0')));
    assert.equal(shown['users-inactive'], String(seeded.inactive.length));
    assert.equal(shown['users-active'], String(review.summary['active']));
    assert.equal(shown['groups'], String(await total('/Groups?count=0')));
    assert.equal(shown['inactive-with-access'], String(review.summary['inactiveWithAccess']));
    assert.equal(shown['inactive-with-access'], '0');
    assert.equal(shown['inactive-with-access:alarm'], undefined, 'no alarm at 0');
    assert.equal(shown['stale'], String(review.summary['stale']));
    assert.equal(shown['policy-drift'], '0');
    assert.deepEqual(c.takeErrors(), []);
  });

  it('lists the latest lifecycle changes of users and groups, newest first, as the audit trail has them', async () => {
    const trail = (await supertest(c.t.app).get('/admin/audit?order=newest&limit=30').set('Authorization', `Bearer ${auditToken}`)).body as { entries: { resourceId: string; resourceType: string }[] };
    const expected = trail.entries.filter((entry) => entry.resourceType !== 'Token').slice(0, 10);
    assert.equal(expected.length, 10);
    await c.visit('/overview');
    const shown = await c.page.$$eval('table tbody tr td:nth-child(3) code', (cells) => cells.map((cell) => cell.textContent));
    assert.deepEqual(shown, expected.map((entry) => entry.resourceId));
  });

  it('raises the alarm when an inactive user holds access, and counts users evaluated under another policy', async () => {
    // What the lifecycle never writes, stored past it: a leaver keeping a permission, and a user evaluated under an older policy.
    const change = async (userName: string, lifecycle: (current: LifecycleState) => LifecycleState) => {
      const id = seeded.users.get(userName) as string;
      const current = await c.t.storage.users.get('default', id);
      assert.ok(current?.lifecycle);
      assert.notEqual(await c.t.storage.users.replace('default', id, current.version, { attributes: current.attributes, lifecycle: lifecycle(current.lifecycle) }), 'conflict');
    };
    await change(seeded.inactive[0] as string, (current) => ({ ...current, permissions: ['crm:read'] }));
    await change('ada.lovelace@example.com', (current) => ({ ...current, policyFingerprint: 'an-older-policy' }));
    const review = (await supertest(c.t.app).get('/admin/access-review').set('Authorization', `Bearer ${auditToken}`)).body as { summary: Record<string, number> };
    const shown = await figuresShown(c);
    assert.equal(shown['inactive-with-access'], '1');
    assert.equal(shown['inactive-with-access'], String(review.summary['inactiveWithAccess']));
    assert.equal(shown['inactive-with-access:alarm'], 'yes');
    assert.match(await c.page.$eval('[data-figure="inactive-with-access"]', (figure) => figure.textContent ?? ''), /Alarm/);
    assert.equal(shown['policy-drift'], '1');
    assert.equal(shown['policy-drift:alarm'], 'yes');
  });
});
