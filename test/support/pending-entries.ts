import type { MongoClient } from 'mongodb';
import type { LifecycleEvent } from '../../src/lifecycle/types.js';

export type PendingForm = 'text' | 'objects';

/**
 * What a crash between a write and its relay leaves: the change's audit entry and event still
 * pending in the user's document, written an hour ago, for the relay sweep to find. Entries are
 * stored as JSON text; documents written before that hold objects.
 */
export async function leaveBehind(client: MongoClient, dbName: string, id: string, stored: PendingForm = 'text', tenant = 'default'): Promise<{ auditId: string; eventId: string; event: LifecycleEvent; at: Date }> {
  const longAgo = new Date(Date.now() - 3_600_000);
  const auditId = `${id}:crashed-audit`;
  const eventId = `${id}:crashed-event`;
  const audit = { id: auditId, at: longAgo, tenant, actor: 'test', requestId: 'crash', operation: 'patch', resourceType: 'User', resourceId: id, before: null, after: { title: 'x' }, grantsAdded: [], grantsRevoked: [], events: ['user.deactivated'] };
  const event: LifecycleEvent = { id: eventId, type: 'user.deactivated', tenant, resourceType: 'User', resourceId: id, sequence: 99, occurredAt: longAgo, actor: 'test', requestId: 'crash', data: { reason: 'crash' } };
  const pending = stored === 'text' ? { events: [JSON.stringify(event)], audit: [JSON.stringify(audit)] } : { events: [event], audit: [audit] };
  await client.db(dbName).collection<{ _id: string }>('users').updateOne({ _id: id }, { $set: { pending, hasPending: true, lastModified: longAgo } });
  return { auditId, eventId, event, at: longAgo };
}
