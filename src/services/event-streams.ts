import { randomUUID } from 'node:crypto';
import { ScimError } from '../errors/scim-error.js';
import { STREAM_NAME, STREAM_NAME_RULE, streamSet } from '../lifecycle/event-streams.js';
import type { EventType } from '../lifecycle/types.js';
import type { Storage, StreamBacklog, StreamError, StreamRecord } from '../store/contract.js';

/**
 * Event streams for pulling apps: RFC 8936 poll-based delivery of the RFC 9967 Security Event
 * Tokens of one tenant's events. A stream is configured per receiver; events enter it as they
 * enter the event log (EventStore.append) and stay until the receiver acknowledges them or
 * retention removes them.
 */

/** More than this per poll are left for the next one (`moreAvailable`), whatever `maxEvents` says. */
export const MAX_EVENTS_PER_POLL = 1000;
/** How often a held poll looks for events queued by other processes or by the relay sweep. */
const RECHECK_MS = 1000;
const RECENT_ERRORS = 20;

/** An RFC 8936 §2.2 poll request, validated (src/http/routes/stream-poll.ts). */
export interface PollRequest {
  /** Undefined: as many as a poll returns (MAX_EVENTS_PER_POLL); 0: acknowledge only. */
  maxEvents?: number | undefined;
  returnImmediately: boolean;
  ack: string[];
  setErrs: { eventId: string; err: string; description?: string | undefined }[];
}

/** RFC 8936 §2.3: SETs by `jti`, and whether more are waiting. */
export interface PollResponse {
  sets: Record<string, string>;
  moreAvailable: boolean;
}

export interface StreamView {
  name: string;
  tenant: string;
  /** Null: every event type. */
  events: EventType[] | null;
  createdAt: string;
  updatedAt: string;
  /** Where its receiver polls, relative to the server's root. */
  pollPath: string;
  backlog: { pending: number; failed: number; oldestPendingAt: string | null; oldestPendingAgeSeconds: number | null };
  recentErrors?: { jti: string; err: string; description?: string; reportedAt: string }[];
}

/** Per stream, what a monitoring system watches: how much its receiver owes, and for how long. */
export interface StreamMetrics {
  tenant: string;
  name: string;
  /** Events not acknowledged yet. */
  backlog: number;
  /** Seconds since the oldest of them entered the stream; null when there is none. */
  oldestUnacknowledgedAgeSeconds: number | null;
}

export interface EventStreamService {
  create(tenant: string, name: string, events: EventType[] | undefined): Promise<StreamView>;
  list(tenant: string): Promise<StreamView[]>;
  /** With the latest errors its receiver reported. */
  get(tenant: string, name: string): Promise<StreamView>;
  setEvents(tenant: string, name: string, events: EventType[] | undefined): Promise<StreamView>;
  remove(tenant: string, name: string): Promise<void>;
  /** The stream, or 404. */
  require(tenant: string, name: string): Promise<StreamRecord>;
  /**
   * Acknowledges and records errors first, then returns the oldest unacknowledged events. With
   * `returnImmediately` false and nothing to return, waits (long poll) until an event arrives,
   * the long-poll time passes or `signal` aborts (shutdown, the receiver hung up).
   */
  poll(tenant: string, name: string, request: PollRequest, signal: AbortSignal): Promise<PollResponse>;
  /** Wakes held polls: call when this process has stored events. */
  notify(): void;
}

export interface EventStreamServiceOptions {
  storage: Storage;
  /** The SETs' `iss`: PUBLIC_BASE_URL, else urn:scim-identity-server (as for "set" webhooks). */
  issuer: string;
  /** The longest a poll waits for events (EVENT_STREAM_LONG_POLL_SECONDS). */
  longPollMs: number;
  log: (entry: Record<string, unknown>) => void;
  now?: () => Date;
  /** Told of each poll answered: SETs returned, ids acknowledged, errors reported (metrics). */
  onPoll?: (stream: StreamRecord, counts: { delivered: number; acknowledged: number; errorsReported: number }) => void;
}

const notFound = (name: string) => new ScimError('notFound', `No event stream named "${name}" in this tenant`);

function ageSeconds(since: Date | null, now: Date): number | null {
  return since ? Math.max(0, Math.floor((now.getTime() - since.getTime()) / 1000)) : null;
}

function view({ stream, pending, failed, oldestPendingAt }: StreamBacklog, now: Date): StreamView {
  return {
    name: stream.name,
    tenant: stream.tenant,
    events: stream.events ?? null,
    createdAt: stream.createdAt.toISOString(),
    updatedAt: stream.updatedAt.toISOString(),
    pollPath: `/streams/${stream.name}/poll`,
    backlog: { pending, failed, oldestPendingAt: oldestPendingAt?.toISOString() ?? null, oldestPendingAgeSeconds: ageSeconds(oldestPendingAt, now) },
  };
}

/** Resolves after `ms`, on `notify`, or when `signal` aborts, whichever comes first. */
function createWakeup() {
  const waiting = new Set<() => void>();
  return {
    notify(): void {
      for (const wake of [...waiting]) wake();
    },
    wait(ms: number, signal: AbortSignal): Promise<void> {
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiting.delete(done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        waiting.add(done);
        signal.addEventListener('abort', done, { once: true });
      });
    },
  };
}

export function createEventStreamService({ storage, issuer, longPollMs, log, now = () => new Date(), onPoll }: EventStreamServiceOptions): EventStreamService {
  const wakeup = createWakeup();

  async function require(tenant: string, name: string): Promise<StreamRecord> {
    const stream = await storage.streams.get(tenant, name);
    if (!stream) throw notFound(name);
    return stream;
  }

  const describe = async (stream: StreamRecord) => view(await storage.streams.backlog(stream), now());

  async function respond(stream: StreamRecord, limit: number): Promise<PollResponse> {
    const queued = await storage.streams.pending(stream, limit + 1);
    const sets: Record<string, string> = {};
    for (const entry of queued.slice(0, limit)) sets[entry.event.id] = streamSet(entry, stream, issuer);
    return { sets, moreAvailable: queued.length > limit };
  }

  async function recordErrors(stream: StreamRecord, errors: PollRequest['setErrs']): Promise<void> {
    if (errors.length === 0) return;
    const reportedAt = now();
    const reported: StreamError[] = errors.map((error) => ({ ...error, reportedAt }));
    await storage.streams.reportErrors(stream, reported);
    for (const error of reported) {
      log({ level: 'warn', msg: 'event stream receiver reported an error', tenant: stream.tenant, stream: stream.name, jti: error.eventId, err: error.err, description: error.description });
    }
  }

  return {
    async create(tenant, name, events) {
      if (!STREAM_NAME.test(name)) throw new ScimError('invalidValue', `The stream name ${STREAM_NAME_RULE}`);
      const at = now();
      const stream: StreamRecord = { id: randomUUID(), tenant, name, ...(events ? { events } : {}), createdAt: at, updatedAt: at };
      if (!(await storage.streams.create(stream))) throw new ScimError('uniqueness', `An event stream named "${name}" already exists in this tenant`);
      return describe(stream);
    },

    async list(tenant) {
      return Promise.all((await storage.streams.list(tenant)).map(describe));
    },

    async get(tenant, name) {
      const stream = await require(tenant, name);
      const [described, errors] = await Promise.all([describe(stream), storage.streams.errors(stream, RECENT_ERRORS)]);
      const recentErrors = errors.map((error) => ({ jti: error.eventId, err: error.err, ...(error.description !== undefined ? { description: error.description } : {}), reportedAt: error.reportedAt.toISOString() }));
      return { ...described, recentErrors };
    },

    async setEvents(tenant, name, events) {
      const stream = await storage.streams.setEvents(tenant, name, events, now());
      if (!stream) throw notFound(name);
      return describe(stream);
    },

    async remove(tenant, name) {
      if (!(await storage.streams.remove(tenant, name))) throw notFound(name);
    },

    require,

    async poll(tenant, name, request, signal) {
      const stream = await require(tenant, name);
      await storage.streams.acknowledge(stream, request.ack);
      await recordErrors(stream, request.setErrs);
      const answered = (response: PollResponse): PollResponse => {
        onPoll?.(stream, { delivered: Object.keys(response.sets).length, acknowledged: request.ack.length, errorsReported: request.setErrs.length });
        return response;
      };
      const limit = Math.min(request.maxEvents ?? MAX_EVENTS_PER_POLL, MAX_EVENTS_PER_POLL);
      if (limit === 0) return answered({ sets: {}, moreAvailable: (await storage.streams.pending(stream, 1)).length > 0 });
      const deadline = Date.now() + (request.returnImmediately ? 0 : longPollMs);
      for (;;) {
        const response = await respond(stream, limit);
        const remaining = deadline - Date.now();
        if (Object.keys(response.sets).length > 0 || remaining <= 0 || signal.aborted) return answered(response);
        await wakeup.wait(Math.min(RECHECK_MS, remaining), signal);
      }
    },

    notify: () => wakeup.notify(),
  };
}

/** For metrics: every stream's backlog and the age of its oldest unacknowledged event. */
export async function streamMetrics(storage: Storage, now = new Date()): Promise<StreamMetrics[]> {
  const backlogs = await Promise.all((await storage.streams.list()).map((stream) => storage.streams.backlog(stream)));
  return backlogs.map(({ stream, pending, oldestPendingAt }) => ({ tenant: stream.tenant, name: stream.name, backlog: pending, oldestUnacknowledgedAgeSeconds: ageSeconds(oldestPendingAt, now) }));
}

const PURGE_BATCH = 1000;

/** Retention: removes what entered a stream more than `retentionDays` ago, acknowledged or not; returns how many. */
export async function purgeExpiredStreamEvents(storage: Storage, retentionDays: number, now = new Date()): Promise<number> {
  const before = new Date(now.getTime() - retentionDays * 86_400_000);
  let purged = 0;
  for (;;) {
    const removed = await storage.streams.purge(before, PURGE_BATCH);
    purged += removed;
    if (removed < PURGE_BATCH) return purged;
  }
}
