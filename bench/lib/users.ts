// Realistic, deterministic user bodies: the same ordinal always gives the same user, so a data set
// can be regenerated instead of shipped, and userNames never collide.
const GIVEN = ['Alice', 'Bob', 'Carmen', 'Deepak', 'Emma', 'Fatima', 'Gustav', 'Hana', 'Ivan', 'Jun', 'Kwame', 'Lena', 'Mateo', 'Nadia', 'Oscar', 'Priya', 'Quentin', 'Rosa', 'Sven', 'Tomoko', 'Umar', 'Valeria', 'Wei', 'Ximena', 'Yusuf', 'Zoe'];
const FAMILY = ['Andersen', 'Baptiste', 'Chen', 'Dubois', 'Eriksson', 'Fernandes', 'García', 'Hoffmann', 'Ibrahim', 'Jensen', 'Kowalski', 'López', 'Müller', 'Nakamura', "O'Brien", 'Patel', 'Quinn', 'Rossi', 'Silva', 'Takahashi', 'Ueda', 'Virtanen', 'Williams', 'Xu', 'Yilmaz', 'Zhang'];
const DEPARTMENTS = ['Engineering', 'Sales', 'Marketing', 'Finance', 'Human Resources', 'Support', 'Legal', 'Operations', 'Product', 'Security'];
const TITLES = ['Associate', 'Specialist', 'Senior Specialist', 'Team Lead', 'Manager', 'Senior Manager', 'Director', 'Engineer', 'Senior Engineer', 'Analyst'];
const CITIES = [['Berlin', 'DE', '+49 30'], ['Lisbon', 'PT', '+351 21'], ['Austin', 'US', '+1 512'], ['Osaka', 'JP', '+81 6'], ['Toronto', 'CA', '+1 416'], ['Nairobi', 'KE', '+254 20']] as const;

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** A cheap integer hash (not random): ordinal and salt in, a well-spread 32-bit value out. */
function mix(ordinal: number, salt: number): number {
  let h = Math.imul(ordinal ^ (salt * 0x9e3779b9), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const pick = <T>(list: readonly T[], ordinal: number, salt: number): T => list[mix(ordinal, salt) % list.length] as T;

export const userNameOf = (ordinal: number, prefix = 'u'): string => `${prefix}${String(ordinal).padStart(7, '0')}@example.com`;
export const externalIdOf = (ordinal: number): string => `okta-00u${String(ordinal).padStart(10, '0')}`;

/** One manager per this many users; managers are the ordinals divisible by it. */
const SPAN = 8;

/**
 * A user as Okta or Entra would provision it. The manager is named by employee number, as an
 * Okta managerId mapping sends it (the server stores manager.value as given).
 */
export function userBody(ordinal: number, options: { prefix?: string } = {}): Record<string, unknown> {
  const managerOrdinal = Math.floor(ordinal / SPAN / SPAN) * SPAN;
  const given = pick(GIVEN, ordinal, 1);
  const family = pick(FAMILY, ordinal, 2);
  const [city, country, dial] = pick(CITIES, ordinal, 3);
  const department = pick(DEPARTMENTS, ordinal, 4);
  const userName = userNameOf(ordinal, options.prefix);
  return {
    schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA],
    userName,
    externalId: externalIdOf(ordinal),
    name: { givenName: given, familyName: family, formatted: `${given} ${family}` },
    displayName: `${given} ${family}`,
    title: `${pick(TITLES, ordinal, 5)}, ${department}`,
    userType: mix(ordinal, 6) % 10 === 0 ? 'Contractor' : 'Employee',
    preferredLanguage: country === 'DE' ? 'de-DE' : country === 'PT' ? 'pt-PT' : country === 'JP' ? 'ja-JP' : 'en-US',
    locale: `en-${country}`,
    timezone: 'UTC',
    active: true,
    emails: [{ value: userName, type: 'work', primary: true }],
    phoneNumbers: [{ value: `${dial} ${String(mix(ordinal, 7) % 10_000_000).padStart(7, '0')}`, type: 'work' }],
    addresses: [{ type: 'work', locality: city, country, primary: true }],
    [ENTERPRISE_SCHEMA]: {
      employeeNumber: String(100_000 + ordinal),
      costCenter: `CC-${1000 + (mix(ordinal, 8) % 200)}`,
      organization: 'Example Corp',
      division: department === 'Engineering' || department === 'Product' ? 'R&D' : 'Business',
      department,
      ...(ordinal >= SPAN ? { manager: { value: String(100_000 + managerOrdinal), displayName: `${pick(GIVEN, managerOrdinal, 1)} ${pick(FAMILY, managerOrdinal, 2)}` } } : {}),
    },
  };
}
