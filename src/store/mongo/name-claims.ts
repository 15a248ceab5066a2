import type { Collection } from 'mongodb';
import { ScimError } from '../../errors/scim-error.js';
import { insertNew, isDuplicateKey } from './insert-new.js';

interface ClaimDocument {
  _id: string;
  owner: string;
  at: Date;
}

/**
 * Case-insensitive uniqueness (userName, group displayName) enforced by inserting a claim whose
 * `_id` is the lower-cased name. `_id` uniqueness holds on every engine, whereas FerretDB reports a
 * unique-index violation on update as a generic error, and cannot use collation.
 *
 * A crash between claiming and writing the resource leaves a claim with no owner; such a claim is
 * taken over once it is older than any request can take, and only if its owner does not hold the name.
 * When this process knows a claim may be orphaned (the engine failed during the write or the
 * release), it remembers it as suspect and re-checks it on the next claim of that name instead of
 * waiting, so a create refused with 503 during an outage can be retried as soon as the engine is back.
 */
const STALE_AFTER_MS = 120_000;
const MAX_ATTEMPTS = 4;
/** Bounds the memory an outage can take; the oldest suspects fall back to the staleness rule. */
const MAX_SUSPECTS = 10_000;

export interface NameClaims {
  claim(key: string, owner: string, ownerHolds: (owner: string) => Promise<boolean>, description: string): Promise<void>;
  release(key: string, owner: string): Promise<void>;
  /**
   * After a failed or uncertain write: releases the claim when `written` is false, else (or when the
   * release itself fails) keeps it as suspect. Never throws, so the original failure is what surfaces.
   */
  abandon(key: string, owner: string, written: 'no' | 'unknown'): Promise<void>;
  ownerOf(key: string): Promise<string | undefined>;
  /** Claims many names in one insert; each name whose insert collided gets `claim`'s checks. Undefined where claimed. */
  claimMany(requests: readonly ClaimRequest[]): Promise<(ScimError | undefined)[]>;
}

export interface ClaimRequest {
  key: string;
  owner: string;
  ownerHolds: (owner: string) => Promise<boolean>;
  description: string;
}

export function claimKey(tenant: string, kind: string, nameLc: string): string {
  return `${tenant}|${kind}|${nameLc}`;
}

export function createNameClaims(collection: Collection<ClaimDocument>): NameClaims {
  const suspects = new Map<string, string>();

  function suspect(key: string, owner: string): void {
    if (suspects.size >= MAX_SUSPECTS) suspects.delete(suspects.keys().next().value as string);
    suspects.set(key, owner);
  }

  async function release(key: string, owner: string): Promise<void> {
    await collection.deleteOne({ _id: key, owner });
    if (suspects.get(key) === owner) suspects.delete(key);
  }

  async function tryInsert(key: string, owner: string): Promise<boolean> {
    try {
      await collection.insertOne({ _id: key, owner, at: new Date() });
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  async function takeOverIfStale(existing: ClaimDocument, owner: string, ownerHolds: (owner: string) => Promise<boolean>): Promise<boolean> {
    const orphanable = suspects.get(existing._id) === existing.owner || Date.now() - existing.at.getTime() >= STALE_AFTER_MS;
    if (!orphanable || (await ownerHolds(existing.owner))) return false;
    const result = await collection.updateOne({ _id: existing._id, owner: existing.owner }, { $set: { owner, at: new Date() } });
    if (result.modifiedCount !== 1) return false;
    suspects.delete(existing._id);
    return true;
  }

  /** An insert whose answer was lost (the engine died) may still have stored the claim: it is suspect. */
  async function insertOrSuspect(key: string, owner: string): Promise<boolean> {
    try {
      return await tryInsert(key, owner);
    } catch (error) {
      suspect(key, owner);
      throw error;
    }
  }

  async function claim(key: string, owner: string, ownerHolds: (owner: string) => Promise<boolean>, description: string): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      if (await insertOrSuspect(key, owner)) return;
      const existing = await collection.findOne({ _id: key });
      if (!existing) continue;
      if (existing.owner === owner) return;
      if (!(await takeOverIfStale(existing, owner, ownerHolds))) break;
      return;
    }
    throw new ScimError('uniqueness', `${description} is already in use`);
  }

  return {
    claim,
    async claimMany(requests) {
      const at = new Date();
      const collided = await insertNew(collection, requests.map(({ key, owner }) => ({ _id: key, owner, at })));
      const outcomes: (ScimError | undefined)[] = [];
      for (const [index, { key, owner, ownerHolds, description }] of requests.entries()) {
        if (!collided.has(index)) {
          outcomes.push(undefined);
          continue;
        }
        try {
          await claim(key, owner, ownerHolds, description);
          outcomes.push(undefined);
        } catch (error) {
          if (!(error instanceof ScimError)) throw error;
          outcomes.push(error);
        }
      }
      return outcomes;
    },
    release,
    async abandon(key, owner, written) {
      if (written === 'no') {
        try {
          await release(key, owner);
          return;
        } catch {
          // The engine is down: fall through and remember the claim.
        }
      }
      suspect(key, owner);
    },
    async ownerOf(key) {
      return (await collection.findOne({ _id: key }))?.owner;
    },
  };
}
