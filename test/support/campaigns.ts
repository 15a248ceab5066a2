import { ENTERPRISE_USER_SCHEMA } from '../../src/scim/schema-registry.js';
import { user } from './app.js';

/** A review item as GET /admin/campaigns/{id} and GET /admin/reviews show it. */
export interface ReviewItem {
  id: string;
  userId: string;
  userName: string;
  grant: { kind: string; name: string; source: string };
  decision: string | null;
  decidedBy: string | null;
  comment: string | null;
}

/**
 * A person the example policy grants employee-baseline (an Employee with an employee number), in
 * `department`, managed by `manager` (enterprise `manager.value`) when given.
 */
export function employee(userName: string, department: string, manager?: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return user(userName, {
    userType: 'Employee',
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE_USER_SCHEMA],
    [ENTERPRISE_USER_SCHEMA]: { employeeNumber: userName.split('@')[0], department, ...(manager ? { manager: { value: manager } } : {}) },
    ...extra,
  });
}
