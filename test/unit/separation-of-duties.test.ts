import { strict as assert } from 'node:assert';
import { parsePolicy } from '../../src/lifecycle/policy/load.js';
import { heldConflicts, separateDuties } from '../../src/lifecycle/separation-of-duties.js';
import type { Grant, LifecycleState } from '../../src/lifecycle/types.js';

/**
 * The separation-of-duties step on its own: which grants a `block` conflict withholds (by the
 * documented order), which `flag` conflicts arise, and that evaluating again reports nothing new.
 */

const POLICY = parsePolicy(
  {
    roles: {
      'payroll-admin': { permissions: ['payroll:write'] },
      'payroll-approver': { permissions: ['payroll:approve'] },
      'vendor-admin': { permissions: ['vendor:create'] },
      'ap-clerk': { permissions: ['invoice:pay'] },
      'finance-analyst': { permissions: ['ledger:read'] },
      auditor: { permissions: ['audit:read'] },
    },
    rules: [],
    conflicts: [
      { name: 'payroll-four-eyes', mode: 'block', roles: ['payroll-admin', 'payroll-approver'] },
      { name: 'vendor-and-payment', mode: 'block', permissions: ['vendor:create', 'invoice:pay'] },
      { name: 'analyst-auditor', mode: 'flag', roles: ['finance-analyst', 'auditor'] },
    ],
  },
  'sod-unit.json',
);

const policyGrant = (name: string): Grant => ({ kind: 'role', name, source: 'policy', rules: [`${name}-rule`] });
const directRole = (name: string): Grant => ({ kind: 'role', name, source: 'direct' });
const directPermission = (name: string): Grant => ({ kind: 'permission', name, source: 'direct' });
const names = (grants: readonly Grant[]) => grants.map((grant) => `${grant.kind}:${grant.source}:${grant.name}`);

/** What the user held after an earlier evaluation of the same step. */
function heldAfter(proposed: Grant[], previous?: LifecycleState): LifecycleState {
  const separation = separateDuties(POLICY, proposed, previous);
  const state: LifecycleState = { state: 'active', provisionedAt: new Date(0), lastPolicyEvaluation: new Date(0), policyFingerprint: POLICY.fingerprint, grants: separation.grants, permissions: [] };
  if (separation.state) state.sod = separation.state;
  return state;
}

describe('separation of duties (unit)', () => {
  it('grants that complete no conflict pass untouched, in the order proposed, and nothing is stored', () => {
    const proposed = [policyGrant('payroll-admin'), policyGrant('vendor-admin'), directPermission('wiki:read')];
    const separation = separateDuties(POLICY, proposed, undefined);
    assert.deepEqual(separation.grants, proposed);
    assert.deepEqual(separation.blocked, []);
    assert.deepEqual(separation.dropped, []);
    assert.deepEqual(separation.newlyFlagged, []);
    assert.equal(separation.state, undefined);
  });

  describe('block: which grant is withheld', () => {
    it('of two new policy grants, the later by name', () => {
      const separation = separateDuties(POLICY, [policyGrant('payroll-approver'), policyGrant('payroll-admin')], undefined);
      assert.deepEqual(names(separation.grants), ['role:policy:payroll-admin']);
      assert.equal(separation.blocked.length, 1);
      const [blocked] = separation.blocked;
      assert.deepEqual(blocked?.grant, policyGrant('payroll-approver'));
      assert.equal(blocked?.conflict, 'payroll-four-eyes');
      assert.deepEqual(blocked?.heldWith, ['payroll-admin']);
      assert.match(blocked?.reason ?? '', /role "payroll-approver" would complete the conflict "payroll-four-eyes" \(mode block\) with "payroll-admin", already held/);
      assert.deepEqual(separation.dropped, [], 'a policy grant is withheld, not dropped');
      assert.deepEqual(separation.state?.withheld, separation.blocked, 'withheld policy grants are remembered');
    });

    it('a grant already held keeps its place: the new one is withheld whatever its name', () => {
      const previous = heldAfter([policyGrant('payroll-approver')]);
      const separation = separateDuties(POLICY, [policyGrant('payroll-admin'), policyGrant('payroll-approver')], previous);
      assert.deepEqual(names(separation.grants), ['role:policy:payroll-approver']);
      assert.deepEqual(names(separation.blocked.map((entry) => entry.grant)), ['role:policy:payroll-admin']);
    });

    it('of a new policy grant and a new direct one, the direct one, which is dropped', () => {
      const separation = separateDuties(POLICY, [policyGrant('payroll-approver'), directRole('payroll-admin')], undefined);
      assert.deepEqual(names(separation.grants), ['role:policy:payroll-approver']);
      assert.deepEqual(names(separation.dropped), ['role:direct:payroll-admin']);
      assert.equal(separation.state, undefined, 'a dropped direct grant is not remembered: the IdP must send it again');
    });

    it('permissions count whether a role or an entitlement gives them', () => {
      const previous = heldAfter([policyGrant('vendor-admin')]);
      const separation = separateDuties(POLICY, [policyGrant('vendor-admin'), directPermission('invoice:pay'), directPermission('wiki:read')], previous);
      assert.deepEqual(names(separation.grants), ['role:policy:vendor-admin', 'permission:direct:wiki:read']);
      assert.deepEqual(names(separation.dropped), ['permission:direct:invoice:pay']);
      assert.deepEqual(separation.blocked[0]?.heldWith, ['vendor:create']);
    });

    it('a conflict newly declared over grants already held withholds the later of them by the same order', () => {
      const previous: LifecycleState = { ...heldAfter([]), grants: [policyGrant('ap-clerk'), policyGrant('vendor-admin')] };
      const separation = separateDuties(POLICY, [policyGrant('ap-clerk'), policyGrant('vendor-admin')], previous);
      assert.deepEqual(names(separation.grants), ['role:policy:ap-clerk']);
      assert.deepEqual(names(separation.blocked.map((entry) => entry.grant)), ['role:policy:vendor-admin']);
    });

    it('the same grant from policy and from the IdP is withheld from both', () => {
      const previous = heldAfter([directRole('payroll-admin')]);
      const separation = separateDuties(POLICY, [policyGrant('payroll-approver'), directRole('payroll-admin'), directRole('payroll-approver')], previous);
      assert.deepEqual(names(separation.grants), ['role:direct:payroll-admin']);
      assert.deepEqual(names(separation.blocked.map((entry) => entry.grant)).sort(), ['role:direct:payroll-approver', 'role:policy:payroll-approver']);
    });

    it('evaluating again reports a withheld policy grant no more; a direct grant sent again is dropped again', () => {
      const proposed = [policyGrant('payroll-approver'), policyGrant('payroll-admin')];
      const previous = heldAfter(proposed);
      const again = separateDuties(POLICY, proposed, previous);
      assert.deepEqual(again.blocked, []);
      assert.deepEqual(again.state, previous.sod);
      const resent = separateDuties(POLICY, [policyGrant('payroll-admin'), directRole('payroll-approver')], heldAfter([policyGrant('payroll-admin')]));
      assert.deepEqual(names(resent.dropped), ['role:direct:payroll-approver']);
      assert.equal(resent.blocked.length, 1);
    });

    it('a withheld grant is applied once the grant it conflicted with is gone', () => {
      const previous = heldAfter([policyGrant('payroll-approver'), policyGrant('payroll-admin')]);
      const separation = separateDuties(POLICY, [policyGrant('payroll-approver')], previous);
      assert.deepEqual(names(separation.grants), ['role:policy:payroll-approver']);
      assert.equal(separation.state, undefined);
    });
  });

  describe('flag', () => {
    it('keeps both grants and reports the conflict once', () => {
      const proposed = [policyGrant('auditor'), directRole('finance-analyst')];
      const first = separateDuties(POLICY, proposed, undefined);
      assert.deepEqual(first.grants, proposed);
      assert.deepEqual(first.newlyFlagged.map((conflict) => conflict.name), ['analyst-auditor']);
      assert.deepEqual(first.state, { flagged: ['analyst-auditor'], withheld: [] });
      const again = separateDuties(POLICY, proposed, heldAfter(proposed));
      assert.deepEqual(again.newlyFlagged, []);
      assert.deepEqual(again.state, first.state);
    });

    it('an inactive previous state holds nothing: a rehire with the same grants is flagged again', () => {
      const proposed = [policyGrant('auditor'), policyGrant('finance-analyst')];
      const inactive: LifecycleState = { ...heldAfter(proposed), state: 'inactive', grants: [] };
      delete inactive.sod;
      assert.equal(separateDuties(POLICY, proposed, inactive).newlyFlagged.length, 1);
    });
  });

  it('heldConflicts lists the conflicts stored grants complete, of either mode, in policy order', () => {
    const grants = [policyGrant('finance-analyst'), policyGrant('auditor'), directRole('payroll-admin'), directRole('payroll-approver')];
    assert.deepEqual(heldConflicts(POLICY, grants).map((conflict) => conflict.name), ['payroll-four-eyes', 'analyst-auditor']);
  });
});
