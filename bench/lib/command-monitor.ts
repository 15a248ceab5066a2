import type { CommandFailedEvent, CommandStartedEvent, CommandSucceededEvent, MongoClient } from 'mongodb';
import mongoose from 'mongoose';

/** One database command as the driver saw it. */
export interface CommandSample {
  /** "find users", "update users", "insert audit"… */
  key: string;
  ms: number;
  /** Documents in the reply's cursor batch (find, aggregate, getMore). */
  returned: number;
  /** Documents inserted, updated (modified) or deleted. */
  written: number;
}

function collectionOf(event: CommandStartedEvent): string {
  const command = event.command as Record<string, unknown>;
  const value = command[event.commandName] ?? command['collection'];
  return typeof value === 'string' ? value : '';
}

function counts(event: CommandSucceededEvent): { returned: number; written: number } {
  const reply = event.reply as { cursor?: { firstBatch?: unknown[]; nextBatch?: unknown[] }; n?: number; nModified?: number; lastErrorObject?: { n?: number; updatedExisting?: boolean }; value?: unknown };
  const returned = reply.cursor?.firstBatch?.length ?? reply.cursor?.nextBatch?.length ?? 0;
  switch (event.commandName) {
    case 'insert':
    case 'delete':
      return { returned, written: reply.n ?? 0 };
    case 'update':
      return { returned, written: reply.nModified ?? reply.n ?? 0 };
    case 'findAndModify':
      return { returned: reply.value ? 1 : 0, written: reply.lastErrorObject?.n ?? 0 };
    default:
      return { returned, written: 0 };
  }
}

/** Records every command of `client` (which must have been opened with monitorCommands=true). */
export function monitorCommands(client: MongoClient): { drain(): CommandSample[] } {
  const started = new Map<number, string>();
  let samples: CommandSample[] = [];
  client.on('commandStarted', (event: CommandStartedEvent) => void started.set(event.requestId, `${event.commandName} ${collectionOf(event)}`.trim()));
  client.on('commandSucceeded', (event: CommandSucceededEvent) => {
    const key = started.get(event.requestId);
    started.delete(event.requestId);
    if (key !== undefined) samples.push({ key, ms: event.duration, ...counts(event) });
  });
  client.on('commandFailed', (event: CommandFailedEvent) => {
    const key = started.get(event.requestId);
    started.delete(event.requestId);
    if (key !== undefined) samples.push({ key: `${key} (failed)`, ms: event.duration, returned: 0, written: 0 });
  });
  return {
    drain() {
      const out = samples;
      samples = [];
      return out;
    },
  };
}

/**
 * The driver client under our storage's mongoose connection to `dbName`: storage never exposes
 * mongoose, but every connection it opens is registered with mongoose.
 */
export function storageClient(dbName: string): MongoClient {
  const connection = mongoose.connections.find((candidate) => candidate.name === dbName && candidate.getClient().options.monitorCommands);
  if (!connection) throw new Error(`no monitored mongoose connection to ${dbName}`);
  return connection.getClient() as unknown as MongoClient;
}
