import { MongoClient } from 'mongodb';
import { testDatabaseUri } from '../support/engine.js';
import type { TestApp } from '../support/app.js';

const COLLECTIONS = ['users', 'groups', 'name_claims'];

/** Every stored user, group and name claim of the app's database, as one comparable string. */
export async function storedState(t: TestApp): Promise<string> {
  if (!t.dbName) throw new Error('startTestApp must expose dbName');
  const client = await MongoClient.connect(testDatabaseUri(t.dbName));
  try {
    const db = client.db(t.dbName);
    const parts = await Promise.all(COLLECTIONS.map(async (name) => [name, await db.collection(name).find({}).sort({ _id: 1 }).toArray()]));
    return JSON.stringify(parts);
  } finally {
    await client.close();
  }
}

/** Paths of keys that start with "$" or name the prototype, anywhere in a stored document. */
export function operatorKeys(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => operatorKeys(item, `${path}[${index}]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, item]) => {
    const here = `${path}.${key}`;
    const bad = key.startsWith('$') || key === '__proto__' || key === 'constructor' || key === 'prototype' ? [here] : [];
    return [...bad, ...operatorKeys(item, here)];
  });
}
