import { ENTERPRISE, group, user, type TestApp } from './app.js';

/** What seedDirectory stored, for tests to compare the console's pages with. */
export interface SeededDirectory {
  /** userName → id */
  users: Map<string, string>;
  /** displayName → id */
  groups: Map<string, string>;
  /** userNames deactivated by the IdP (a leaver, a long-term leave). */
  inactive: string[];
}

interface Person {
  userName: string;
  given: string;
  family: string;
  title: string;
  userType: 'Employee' | 'Intern' | 'Contractor';
  department: string;
  organization?: string;
  costCenter?: string;
  employeeNumber?: string;
}

const PEOPLE: Person[] = [
  { userName: 'ada.lovelace@example.com', given: 'Ada', family: 'Lovelace', title: 'Software Engineer', userType: 'Employee', department: 'Engineering', organization: 'Acme Product', employeeNumber: '1001' },
  { userName: 'grace.hopper@example.com', given: 'Grace', family: 'Hopper', title: 'Principal Engineer', userType: 'Employee', department: 'Engineering', organization: 'Acme Product', employeeNumber: '1002' },
  { userName: 'alan.turing@example.com', given: 'Alan', family: 'Turing', title: 'Software Engineer', userType: 'Contractor', department: 'Engineering', organization: 'Acme Product' },
  { userName: 'mary.jackson@example.com', given: 'Mary', family: 'Jackson', title: 'Sales Manager EMEA', userType: 'Employee', department: 'Sales', employeeNumber: '2001' },
  { userName: 'katherine.johnson@example.com', given: 'Katherine', family: 'Johnson', title: 'Account Executive', userType: 'Employee', department: 'Sales', employeeNumber: '2002' },
  { userName: 'dorothy.vaughan@example.com', given: 'Dorothy', family: 'Vaughan', title: 'Financial Analyst', userType: 'Employee', department: 'Finance', costCenter: 'CC-4100', employeeNumber: '3001' },
  { userName: 'john.von.neumann@example.com', given: 'John', family: 'von Neumann', title: 'Payroll Lead', userType: 'Employee', department: 'Finance', costCenter: 'CC-4200', employeeNumber: '3002' },
  { userName: 'hedy.lamarr@example.com', given: 'Hedy', family: 'Lamarr', title: 'Engineering Intern', userType: 'Intern', department: 'Engineering', organization: 'Acme Product', employeeNumber: '9001' },
  { userName: 'claude.shannon@example.com', given: 'Claude', family: 'Shannon', title: 'Sales Development Rep', userType: 'Employee', department: 'Sales', employeeNumber: '2003' },
  { userName: 'barbara.liskov@example.com', given: 'Barbara', family: 'Liskov', title: 'Staff Engineer', userType: 'Employee', department: 'Engineering', organization: 'Acme Product', employeeNumber: '1003' },
];

async function created(response: Promise<{ status: number; body: unknown }>, what: string): Promise<string> {
  const { status, body } = await response;
  if (status !== 201) throw new Error(`seeding ${what}: ${status} ${JSON.stringify(body)}`);
  return String((body as { id: string }).id);
}

/**
 * A small, realistic directory written through the SCIM API as an IdP writes it: people of several
 * departments (the example policy grants them roles), groups that policy rules name, and two
 * leavers deactivated by PATCH. The console's screenshots are taken of it.
 */
export async function seedDirectory(t: TestApp): Promise<SeededDirectory> {
  const users = new Map<string, string>();
  for (const person of PEOPLE) {
    const body = user(person.userName, {
      name: { givenName: person.given, familyName: person.family, formatted: `${person.given} ${person.family}` },
      displayName: `${person.given} ${person.family}`,
      title: person.title,
      userType: person.userType,
      emails: [{ value: person.userName, type: 'work', primary: true }],
      externalId: `okta-${person.userName.split('@')[0]}`,
      [ENTERPRISE]: {
        department: person.department,
        ...(person.organization ? { organization: person.organization } : {}),
        ...(person.costCenter ? { costCenter: person.costCenter } : {}),
        ...(person.employeeNumber ? { employeeNumber: person.employeeNumber } : {}),
      },
    });
    users.set(person.userName, await created(t.scim.post('/Users').send(body), person.userName));
  }
  const id = (userName: string) => users.get(userName) as string;
  const groups = new Map<string, string>();
  const memberships: [string, string[]][] = [
    ['Engineering On-Call', ['ada.lovelace@example.com', 'grace.hopper@example.com', 'barbara.liskov@example.com']],
    ['Payroll Approvers', ['john.von.neumann@example.com']],
    ['All Staff', PEOPLE.map((person) => person.userName)],
    ['Sales EMEA', ['mary.jackson@example.com', 'katherine.johnson@example.com', 'claude.shannon@example.com']],
  ];
  for (const [displayName, members] of memberships) groups.set(displayName, await created(t.scim.post('/Groups').send(group(displayName, members.map(id))), displayName));
  const inactive = ['claude.shannon@example.com', 'hedy.lamarr@example.com'];
  for (const userName of inactive) {
    const response = await t.scim.patch(`/Users/${id(userName)}`).send({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] });
    if (response.status !== 200) throw new Error(`deactivating ${userName}: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return { users, groups, inactive };
}
