import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { evaluatePolicy, permissionsOf } from '../../src/lifecycle/policy/evaluate.js';
import { loadPolicy, parsePolicy, POLICY_SCHEMA_FILE, PolicyError } from '../../src/lifecycle/policy/load.js';
import type { Condition, PolicyGrant, PolicySubject } from '../../src/lifecycle/policy/types.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const EXAMPLE_FILE = path.join(path.dirname(POLICY_SCHEMA_FILE), 'policy.example.json');

/** The example as plain JSON, a fresh copy each time so that edits do not leak between cases. */
function example(): Record<string, unknown> {
  return JSON.parse(readFileSync(EXAMPLE_FILE, 'utf8')) as Record<string, unknown>;
}

const REMOVE = Symbol('remove');
type Edit = [pointer: string, value: unknown];

/** Sets (or, with REMOVE, deletes) the value at a JSON pointer; an array index one past the end appends. */
function edited(json: Record<string, unknown>, ...edits: Edit[]): Record<string, unknown> {
  for (const [pointer, value] of edits) {
    const keys = pointer.split('/').slice(1);
    const last = keys.pop() ?? '';
    const parent = keys.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], json) as Record<string, unknown>;
    if (value === REMOVE) delete parent[last];
    else parent[last] = value;
  }
  return json;
}

function policyError(run: () => unknown): PolicyError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof PolicyError, `expected a PolicyError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a PolicyError');
}

function assertIncludes(text: string, fragments: readonly string[]): void {
  for (const fragment of fragments) assert.ok(text.includes(fragment), `expected ${JSON.stringify(fragment)} in:\n${text}`);
}

interface UserData {
  enterprise?: Record<string, unknown>;
  groups?: string[];
  [attribute: string]: unknown;
}

function subject({ enterprise, groups = [], ...core }: UserData): PolicySubject {
  return {
    attributes: { userName: 'someone@example.com', active: true, ...core, ...(enterprise ? { [ENTERPRISE]: enterprise } : {}) },
    groups: groups.map((displayName, index) => ({ id: `g${index}`, displayName })),
  };
}

/** A one-rule policy granting role "r", validated by the loader like a real file. */
function matches(when: Condition, user: PolicySubject): boolean {
  const policy = parsePolicy({ roles: { r: { permissions: ['test:use'] } }, rules: [{ name: 't', grant: ['r'], when }] }, 'inline.json');
  return evaluatePolicy(policy, user).length === 1;
}

describe('access policy', () => {
  describe('loading', () => {
    it('loads the example policy with a fingerprint', () => {
      const policy = loadPolicy(EXAMPLE_FILE);
      assert.equal(Object.keys(policy.roles).length, 8);
      assert.equal(policy.rules.length, 8);
      assert.deepEqual(policy.deactivation, { memberships: 'remove' });
      assert.match(policy.fingerprint, /^[0-9a-f]{64}$/);
    });

    it('defaults deactivation.memberships to "remove" and keeps "retain"', () => {
      assert.equal(parsePolicy(edited(example(), ['/deactivation', REMOVE]), 'p.json').deactivation.memberships, 'remove');
      assert.equal(parsePolicy(edited(example(), ['/deactivation/memberships', 'retain']), 'p.json').deactivation.memberships, 'retain');
    });

    it('fingerprints the content, not the key order or layout', () => {
      const json = example();
      const reversed = (value: unknown): Record<string, unknown> => Object.fromEntries(Object.entries(value as Record<string, unknown>).reverse());
      const reordered = { ...reversed(json), roles: reversed(json.roles) };
      assert.equal(parsePolicy(reordered, 'p.json').fingerprint, parsePolicy(json, 'p.json').fingerprint);
      const changed = edited(example(), ['/roles/oncall/permissions/2', 'prod:restart']);
      assert.notEqual(parsePolicy(changed, 'p.json').fingerprint, parsePolicy(json, 'p.json').fingerprint);
    });

    it('returns a policy independent of the JSON it was given', () => {
      const json = example();
      const policy = parsePolicy(json, 'p.json');
      edited(json, ['/roles/oncall/permissions/2', 'prod:write']);
      assert.deepEqual(policy.roles.oncall?.permissions, ['prod:read', 'pager:ack']);
    });

    const invalid: { title: string; edits: Edit[]; expected: string }[] = [
      { title: 'an unknown top-level key', edits: [['/extra', true]], expected: '/extra: is not allowed here' },
      { title: 'a role without permissions', edits: [['/roles/oncall/permissions', REMOVE]], expected: '/roles/oncall/permissions: is required but missing' },
      { title: 'a role with no permissions', edits: [['/roles/oncall/permissions', []]], expected: '/roles/oncall/permissions: must not be empty' },
      {
        title: 'a badly formatted permission',
        edits: [['/roles/engineer/permissions/1', 'CI Run']],
        expected: '/roles/engineer/permissions/1: "CI Run" is not a permission "<application>:<action>" in lower case, e.g. "crm:read"',
      },
      { title: 'a repeated permission', edits: [['/roles/engineer/permissions/2', 'git:write']], expected: '/roles/engineer/permissions/2: repeats "git:write", already at index 0' },
      { title: 'a badly formed role name', edits: [['/roles/sales rep', { permissions: ['crm:read'] }]], expected: '/roles/sales rep: the name "sales rep" is not a role name' },
      {
        title: 'a rule granting an unknown role',
        edits: [['/rules/3/grant/1', 'sales-boss']],
        expected: 'rules[3] "sales-managers" /rules/3/grant/1: grants the role "sales-boss", which is not defined under "roles"',
      },
      {
        title: 'an unknown attribute',
        edits: [['/rules/3/when/all/0/attribute', 'departmnt']],
        expected: 'rules[3] "sales-managers" /rules/3/when/all/0/attribute: "departmnt" is not a User attribute',
      },
      {
        title: 'an extension attribute under the core URN',
        edits: [['/rules/1/when/attribute', 'urn:ietf:params:scim:schemas:core:2.0:User:department']],
        expected: 'rules[1] "contractors" /rules/1/when/attribute: "urn:ietf:params:scim:schemas:core:2.0:User:department" is not a User attribute',
      },
      {
        title: 'a complex attribute without a sub-attribute',
        edits: [['/rules/1/when', { attribute: 'manager', equals: 'x' }]],
        expected: 'rules[1] "contractors" /rules/1/when/attribute: "manager" is a complex attribute: name one of its sub-attributes, e.g. "manager.value"',
      },
      {
        title: 'a multi-valued attribute compared with equals',
        edits: [['/rules/1/when', { attribute: 'emails.value', equals: 'a@example.com' }]],
        expected: '/rules/1/when/attribute: "emails.value" is multi-valued: only "present" can test it',
      },
      {
        title: 'a condition with two operators',
        edits: [['/rules/1/when/memberOf', 'Contractors']],
        expected: 'rules[1] "contractors" /rules/1/when: must have exactly one of "all", "any", "not", "memberOf", "attribute"; it has "memberOf" and "attribute"',
      },
      {
        title: 'an attribute condition with two tests',
        edits: [['/rules/1/when/startsWith', 'Contr']],
        expected: '/rules/1/when: must have exactly one of "equals", "in", "startsWith", "present"; it has "equals" and "startsWith"',
      },
      {
        title: 'an attribute condition with no test',
        edits: [['/rules/1/when/equals', REMOVE]],
        expected: '/rules/1/when: must have exactly one of "equals", "in", "startsWith", "present"; it has none',
      },
      {
        title: 'a test without an attribute',
        edits: [['/rules/1/when', { all: [{ memberOf: 'Contractors', equals: 'x' }] }]],
        expected: '/rules/1/when/all/0/equals: can only be used together with "attribute"',
      },
      { title: 'an empty "all"', edits: [['/rules/0/when', { all: [] }]], expected: 'rules[0] "employee-baseline" /rules/0/when/all: must not be empty' },
      { title: 'an empty "in"', edits: [['/rules/0/when/all/0/in', []]], expected: '/rules/0/when/all/0/in: must not be empty' },
      { title: 'a condition that is not an object', edits: [['/rules/2/when/all/1/not', 'Intern']], expected: '/rules/2/when/all/1/not: must be an object, not a string' },
      {
        title: 'an operand that can never match',
        edits: [['/rules/7/when/all/1/equals', 'yes']],
        expected: 'rules[7] "engineering-oncall" /rules/7/when/all/1/equals: "yes" can never equal the boolean attribute "active"',
      },
      {
        title: 'startsWith on a boolean',
        edits: [['/rules/7/when/all/1', { attribute: 'active', startsWith: 't' }]],
        expected: '/rules/7/when/all/1/startsWith: only applies to text, but "active" is a boolean attribute',
      },
      { title: 'duplicate rule names', edits: [['/rules/4/name', 'Sales-Managers']], expected: 'rules[4] "Sales-Managers" /rules/4/name: repeats the name of rules[3]' },
      { title: 'a rule without a name', edits: [['/rules/2/name', REMOVE]], expected: 'rules[2] /rules/2/name: is required but missing' },
      { title: 'an unknown deactivation mode', edits: [['/deactivation/memberships', 'keep']], expected: '/deactivation/memberships: must be one of "remove", "retain", not "keep"' },
      { title: 'roles that are not an object', edits: [['/roles', []]], expected: '/roles: must be an object, not an array' },
    ];

    for (const { title, edits, expected } of invalid) {
      it(`rejects ${title}`, () => {
        const error = policyError(() => parsePolicy(edited(example(), ...edits), 'access-policy.json'));
        assert.equal(error.problems.length, 1, error.message);
        assert.ok(error.message.startsWith('access-policy.json: '), error.message);
        assertIncludes(error.message, [expected]);
      });
    }

    it('reports every problem at once, one per line, ordered by pointer', () => {
      const json = edited(example(), ['/extra', 1], ['/rules/6/when/all/1/any/0/attribute', 'dept'], ['/rules/3/grant/0', 'sales-boss']);
      const error = policyError(() => parsePolicy(json, 'p.json'));
      assert.deepEqual(error.problems, [
        'p.json: /extra: is not allowed here; allowed: "$schema", "roles", "rules", "conflicts", "deactivation"',
        'p.json: rules[3] "sales-managers" /rules/3/grant/0: grants the role "sales-boss", which is not defined under "roles"',
        'p.json: rules[6] "engineers" /rules/6/when/all/1/any/0/attribute: "dept" is not a User attribute; use a core name ("title", "name.familyName"), an extension name ("department", "manager.value") or a full URN path',
      ]);
      assert.equal(error.message, error.problems.join('\n'));
    });

    it('rejects a document that is not an object', () => {
      assert.equal(policyError(() => parsePolicy([], 'p.json')).message, 'p.json: (top level): must be an object, not an array');
    });

    it('reports a grant once when the schema already rejected it', () => {
      const error = policyError(() => parsePolicy(edited(example(), ['/rules/0/grant/0', 'Employee Baseline']), 'p.json'));
      assert.deepEqual(error.problems, [
        `p.json: rules[0] "employee-baseline" /rules/0/grant/0: "Employee Baseline" is not a role name: letters, digits, '.', '_' or '-', starting with a letter or digit, at most 64 characters`,
      ]);
    });

    describe('files', () => {
      let dir: string;
      before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'policy-test-'))));
      after(() => rmSync(dir, { recursive: true, force: true }));

      it('names the file, line and column of invalid JSON', () => {
        const file = path.join(dir, 'trailing-comma.json');
        writeFileSync(file, '{\n  "roles": {},\n  "rules": [],\n}\n');
        const error = policyError(() => loadPolicy(file));
        assert.equal(error.message, `${file}: invalid JSON at line 4, column 1 (offset 32): unexpected "}"`);
      });

      it('finds the position even where V8 does not give one', () => {
        const file = path.join(dir, 'bad-literal.json');
        writeFileSync(file, '{"roles": {}, "rules": tru}');
        assertIncludes(policyError(() => loadPolicy(file)).message, [file, 'line 1, column 27 (offset 26): unexpected "}"']);
      });

      it('reports a truncated file', () => {
        const file = path.join(dir, 'truncated.json');
        writeFileSync(file, '{"roles": {');
        assertIncludes(policyError(() => loadPolicy(file)).message, [file, 'unexpected end of file']);
      });

      it('names a missing file', () => {
        const file = path.join(dir, 'absent.json');
        assert.equal(policyError(() => loadPolicy(file)).message, `${file}: cannot read the policy file: the file does not exist`);
      });

      it('names the file in schema errors and accepts a byte-order mark', () => {
        const file = path.join(dir, 'bom.json');
        writeFileSync(file, `\uFEFF${JSON.stringify({ roles: {}, rules: [], extra: 1 })}`);
        assert.equal(policyError(() => loadPolicy(file)).message, `${file}: /extra: is not allowed here; allowed: "$schema", "roles", "rules", "conflicts", "deactivation"`);
      });
    });
  });

  describe('evaluation of the example', () => {
    const policy = loadPolicy(EXAMPLE_FILE);
    const cases: { title: string; user: UserData; grants: PolicyGrant[]; permissions: string[] }[] = [
      {
        title: 'a sales manager',
        user: { userType: 'Employee', title: 'Sales Manager, EMEA', enterprise: { employeeNumber: '1001', department: 'Sales' } },
        grants: [
          { role: 'employee-baseline', rules: ['employee-baseline'] },
          { role: 'sales-manager', rules: ['sales-managers'] },
          { role: 'sales-rep', rules: ['sales-reps'] },
        ],
        permissions: ['crm:approve-discount', 'crm:read', 'crm:write', 'email:use', 'wiki:read'],
      },
      {
        title: 'a sales rep',
        user: { userType: 'Employee', title: 'Account Executive', enterprise: { employeeNumber: '1002', department: 'Sales' } },
        grants: [
          { role: 'employee-baseline', rules: ['employee-baseline'] },
          { role: 'sales-rep', rules: ['sales-reps'] },
        ],
        permissions: ['crm:read', 'crm:write', 'email:use', 'wiki:read'],
      },
      {
        title: 'a finance analyst outside Payroll Approvers',
        user: { userType: 'Employee', enterprise: { employeeNumber: '2001', department: 'Finance', costCenter: 'CC-4100' } },
        grants: [
          { role: 'employee-baseline', rules: ['employee-baseline'] },
          { role: 'finance-analyst', rules: ['finance-analysts'] },
        ],
        permissions: ['email:use', 'ledger:read', 'payroll:read', 'wiki:read'],
      },
      {
        title: 'a finance employee in Payroll Approvers',
        user: { userType: 'Employee', enterprise: { employeeNumber: '2002', department: 'Finance', costCenter: 'CC-4200' }, groups: ['Payroll Approvers'] },
        grants: [
          { role: 'employee-baseline', rules: ['employee-baseline'] },
          { role: 'finance-analyst', rules: ['finance-analysts', 'payroll-approvers'] },
          { role: 'payroll-approver', rules: ['payroll-approvers'] },
        ],
        permissions: ['email:use', 'ledger:read', 'payroll:approve', 'payroll:read', 'wiki:read'],
      },
      {
        title: 'a Payroll Approvers member outside Finance',
        user: { userType: 'Employee', enterprise: { employeeNumber: '2003', department: 'Legal' }, groups: ['Payroll Approvers'] },
        grants: [{ role: 'employee-baseline', rules: ['employee-baseline'] }],
        permissions: ['email:use', 'wiki:read'],
      },
      {
        title: 'a treasury contractor',
        user: { userType: 'Contractor', enterprise: { division: 'Treasury' } },
        grants: [
          { role: 'contractor-limited', rules: ['contractors'] },
          { role: 'finance-analyst', rules: ['finance-analysts'] },
        ],
        permissions: ['ledger:read', 'payroll:read', 'wiki:read'],
      },
      {
        title: 'an engineer on call',
        user: {
          userType: 'Employee',
          title: 'Staff Engineer',
          enterprise: { employeeNumber: '3001', department: 'Engineering', organization: 'Acme Product' },
          groups: ['Engineering On-Call', 'All Staff'],
        },
        grants: [
          { role: 'employee-baseline', rules: ['employee-baseline'] },
          { role: 'engineer', rules: ['engineers'] },
          { role: 'oncall', rules: ['engineering-oncall'] },
        ],
        permissions: ['ci:run', 'email:use', 'git:write', 'pager:ack', 'prod:read', 'wiki:read'],
      },
      {
        title: 'a software engineer outside the Engineering department',
        user: { userType: 'Employee', title: 'Software Engineer II', enterprise: { employeeNumber: '3002', department: 'Platform', organization: 'Acme Product' } },
        grants: [
          { role: 'employee-baseline', rules: ['employee-baseline'] },
          { role: 'engineer', rules: ['engineers'] },
        ],
        permissions: ['ci:run', 'email:use', 'git:write', 'wiki:read'],
      },
      {
        title: 'a contractor in Engineering',
        user: { userType: 'Contractor', enterprise: { department: 'Engineering', organization: 'Acme Product' } },
        grants: [{ role: 'contractor-limited', rules: ['contractors'] }],
        permissions: ['wiki:read'],
      },
      {
        title: 'a sales intern',
        user: { userType: 'Intern', title: 'Sales Manager Intern', enterprise: { employeeNumber: '9001', department: 'Sales' } },
        grants: [{ role: 'employee-baseline', rules: ['employee-baseline'] }],
        permissions: ['email:use', 'wiki:read'],
      },
      {
        title: 'an employee with no enterprise data',
        user: { userType: 'Employee', title: 'Sales Manager' },
        grants: [],
        permissions: [],
      },
      {
        title: 'an on-call member who is inactive',
        user: { userType: 'Employee', active: false, enterprise: { employeeNumber: '3003' }, groups: ['Engineering On-Call'] },
        grants: [{ role: 'employee-baseline', rules: ['employee-baseline'] }],
        permissions: ['email:use', 'wiki:read'],
      },
    ];

    for (const { title, user, grants, permissions } of cases) {
      it(`grants ${title} ${grants.map((grant) => grant.role).join(', ') || 'nothing'}`, () => {
        const granted = evaluatePolicy(policy, subject(user));
        assert.deepEqual(granted, grants);
        assert.deepEqual(permissionsOf(policy, granted.map((grant) => grant.role)), permissions);
      });
    }

    it('compares strings, group names and extension keys case-insensitively', () => {
      const user: PolicySubject = {
        attributes: {
          USERTYPE: 'employee',
          active: 'TRUE',
          title: 'SALES MANAGER (West)',
          [ENTERPRISE.toLowerCase()]: { EmployeeNumber: '1003', department: 'sales' },
        },
        groups: [{ id: 'g1', displayName: 'engineering on-call' }],
      };
      assert.deepEqual(
        evaluatePolicy(policy, user).map((grant) => grant.role),
        ['employee-baseline', 'oncall', 'sales-manager', 'sales-rep'],
      );
    });
  });

  describe('policy exceptions', () => {
    const policy = loadPolicy(EXAMPLE_FILE);
    const salesManager = subject({ userType: 'Employee', title: 'Sales Manager', enterprise: { employeeNumber: '1003', department: 'Sales' } });

    it('withholds an excepted role whatever matches, and only that role', () => {
      assert.deepEqual(evaluatePolicy(policy, salesManager).map((grant) => grant.role), ['employee-baseline', 'sales-manager', 'sales-rep']);
      assert.deepEqual(evaluatePolicy(policy, { ...salesManager, exceptions: ['sales-rep'] }).map((grant) => grant.role), ['employee-baseline', 'sales-manager']);
      assert.deepEqual(evaluatePolicy(policy, { ...salesManager, exceptions: ['sales-rep', 'employee-baseline', 'unknown-role'] }).map((grant) => grant.role), ['sales-manager']);
    });
  });

  describe('conditions', () => {
    const employee = subject({ userType: 'Employee', title: 'Engineer', externalId: 'AbC-1', enterprise: { department: 'Sales', manager: { value: 'm1' } } });

    it('treats externalId as caseExact', () => {
      assert.equal(matches({ attribute: 'externalId', equals: 'AbC-1' }, employee), true);
      assert.equal(matches({ attribute: 'externalId', equals: 'abc-1' }, employee), false);
      assert.equal(matches({ attribute: 'externalId', startsWith: 'abc' }, employee), false);
      assert.equal(matches({ attribute: 'externalId', startsWith: 'AbC' }, employee), true);
    });

    it('resolves core, sub-attribute, bare enterprise and full URN paths', () => {
      const user = subject({ name: { familyName: 'Jensen' }, enterprise: { costCenter: 'CC-1', manager: { value: 'm1' } } });
      assert.equal(matches({ attribute: 'name.familyName', equals: 'jensen' }, user), true);
      assert.equal(matches({ attribute: 'urn:ietf:params:scim:schemas:core:2.0:User:name.familyName', equals: 'JENSEN' }, user), true);
      assert.equal(matches({ attribute: 'manager.value', equals: 'm1' }, user), true);
      assert.equal(matches({ attribute: `${ENTERPRISE}:costCenter`, in: ['CC-0', 'cc-1'] }, user), true);
    });

    it('matches booleans sent as strings', () => {
      assert.equal(matches({ attribute: 'active', equals: true }, subject({ active: 'True' })), true);
      assert.equal(matches({ attribute: 'active', equals: 'false' }, subject({ active: false })), true);
      assert.equal(matches({ attribute: 'active', equals: true }, subject({ active: 'no' })), false);
    });

    it('never matches a missing attribute except through not or present: false', () => {
      const bare = subject({});
      assert.equal(matches({ attribute: 'title', equals: 'x' }, bare), false);
      assert.equal(matches({ attribute: 'title', in: ['x'] }, bare), false);
      assert.equal(matches({ attribute: 'title', startsWith: 'x' }, bare), false);
      assert.equal(matches({ not: { attribute: 'title', equals: 'x' } }, bare), true);
      assert.equal(matches({ attribute: 'title', present: false }, bare), true);
    });

    it('treats null, "", [] and {} as absent', () => {
      for (const value of [null, '', undefined]) assert.equal(matches({ attribute: 'title', present: true }, subject({ title: value })), false);
      assert.equal(matches({ attribute: 'emails', present: true }, subject({ emails: [] })), false);
      assert.equal(matches({ attribute: 'manager', present: true }, subject({ enterprise: { manager: {} } })), false);
      assert.equal(matches({ attribute: 'manager', present: true }, employee), true);
    });

    it('tests a multi-valued sub-attribute for presence across elements', () => {
      assert.equal(matches({ attribute: 'emails.value', present: true }, subject({ emails: [{ type: 'work' }] })), false);
      assert.equal(matches({ attribute: 'emails.value', present: true }, subject({ emails: [{ type: 'work' }, { value: 'a@example.com' }] })), true);
    });

    it('combines with all, any and not', () => {
      const sales = { attribute: 'department', equals: 'Sales' };
      const finance = { attribute: 'department', equals: 'Finance' };
      assert.equal(matches({ all: [sales, { attribute: 'title', startsWith: 'eng' }] }, employee), true);
      assert.equal(matches({ all: [sales, finance] }, employee), false);
      assert.equal(matches({ any: [finance, sales] }, employee), true);
      assert.equal(matches({ any: [finance, { memberOf: 'Finance' }] }, employee), false);
      assert.equal(matches({ not: { any: [finance, { not: sales }] } }, employee), true);
    });

    it('compares memberOf with group displayNames only', () => {
      const user: PolicySubject = { attributes: {}, groups: [{ id: 'Auditors', displayName: undefined }] };
      assert.equal(matches({ memberOf: 'Auditors' }, user), false);
    });

    it('fails closed on an attribute path the loader would reject', () => {
      const policy = { ...loadPolicy(EXAMPLE_FILE), rules: [{ name: 'x', grant: ['oncall'], when: { attribute: 'nope', present: false } }] };
      assert.deepEqual(evaluatePolicy(policy, employee), []);
    });
  });

  describe('permissionsOf', () => {
    const policy = loadPolicy(EXAMPLE_FILE);

    it('returns the sorted union and ignores unknown roles', () => {
      assert.deepEqual(permissionsOf(policy, ['sales-manager', 'sales-rep', 'nobody', 'constructor', 'toString']), [
        'crm:approve-discount',
        'crm:read',
        'crm:write',
      ]);
      assert.deepEqual(permissionsOf(policy, []), []);
    });
  });
});
