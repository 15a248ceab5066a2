import { randomBytes } from 'node:crypto';
import type { Collection } from 'mongodb';
import type { SecretStore } from '../contract.js';
import { isDuplicateKey } from './insert-new.js';

interface SecretDocument {
  _id: string;
  /** base64 of the random bytes. */
  value: string;
  createdAt: Date;
}

const SECRET_BYTES = 32;

/**
 * Secrets in the `secrets` collection, one document per name (`_id`). The first process to ask
 * inserts a random value; a concurrent first insert by another process loses on the `_id` and reads
 * the winner's, so every process of a deployment holds the same secret. Each process reads a name
 * once; a failed read (engine down) is retried on the next call.
 */
export function createSecretStore(collection: Collection<SecretDocument>): SecretStore {
  const read = new Map<string, Promise<Buffer>>();

  async function load(name: string): Promise<Buffer> {
    const stored = await collection.findOne({ _id: name });
    if (stored) return Buffer.from(stored.value, 'base64');
    const value = randomBytes(SECRET_BYTES);
    try {
      await collection.insertOne({ _id: name, value: value.toString('base64'), createdAt: new Date() });
      return value;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const winner = await collection.findOne({ _id: name });
      if (!winner) throw error;
      return Buffer.from(winner.value, 'base64');
    }
  }

  return {
    get(name) {
      let secret = read.get(name);
      if (!secret) {
        secret = load(name);
        read.set(name, secret);
        secret.catch(() => read.delete(name));
      }
      return secret;
    },
  };
}
