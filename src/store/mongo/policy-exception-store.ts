import type { Db } from 'mongodb';
import type { PolicyException, PolicyExceptionStore } from '../contract.js';

interface ExceptionDocument extends Omit<PolicyException, 'expiresAt'> {
  /** `${tenant}|${userId}|${role}`: one exception per user and role. */
  _id: string;
  expiresAt: Date | null;
}

function toRecord({ _id: _key, expiresAt, ...rest }: ExceptionDocument): PolicyException {
  return { ...rest, ...(expiresAt ? { expiresAt } : {}) };
}

/**
 * Collection `policy_exceptions`; every write of an existing user reads its user's exceptions, by
 * the (tenant, userId) index (`scalar_`: both are always strings, so the embedded engine uses it).
 */
export function createPolicyExceptionStore(db: Db): PolicyExceptionStore & { ensureIndexes(): Promise<void> } {
  const collection = db.collection<ExceptionDocument>('policy_exceptions');
  return {
    async ensureIndexes() {
      await collection.createIndex({ tenant: 1, userId: 1 }, { name: 'scalar_tenant_userId' });
    },
    async put(exception) {
      const doc: ExceptionDocument = { ...exception, _id: `${exception.tenant}|${exception.userId}|${exception.role}`, expiresAt: exception.expiresAt ?? null };
      await collection.replaceOne({ _id: doc._id }, doc, { upsert: true });
    },
    async inForce(tenant, userId, at) {
      const docs = await collection.find({ tenant, userId }).toArray();
      return docs.filter((doc) => doc.expiresAt === null || doc.expiresAt.getTime() > at.getTime()).map(toRecord);
    },
    async ofUser(tenant, userId) {
      return (await collection.find({ tenant, userId }).sort({ role: 1 }).toArray()).map(toRecord);
    },
    async list(tenant) {
      return (await collection.find({ tenant }).sort({ userId: 1, role: 1 }).toArray()).map(toRecord);
    },
  };
}
