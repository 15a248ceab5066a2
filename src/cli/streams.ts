// `npm run streams -- <create|list|show|set-events|delete> ...`: event streams (RFC 8936 poll)
// for pulling apps. A stream receives its tenant's events from its creation on; its receiver
// polls it with a token bound to it (`npm run tokens -- create --scopes scim:read --stream <name>`).
import { loadConfig, type Config } from '../config.js';
import { ScimError } from '../errors/scim-error.js';
import { parseEventTypes, STREAM_NAME, STREAM_NAME_RULE } from '../lifecycle/event-streams.js';
import { EVENT_TYPES, type EventType } from '../lifecycle/types.js';
import { DEFAULT_ISSUER } from '../lifecycle/webhooks/payload.js';
import { createEventStreamService, type EventStreamService, type StreamView } from '../services/event-streams.js';
import { DATABASE_HELP, withStorage } from './database.js';
import { TENANT, tenantOf } from './tenant-option.js';
import { EXIT, runProgram, UsageError, type Arguments, type OptionSpec } from './run.js';

const say = (line: string) => process.stderr.write(`[streams] ${line}\n`);
const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const NAME: OptionSpec = { type: 'string', value: '<name>', description: `the stream's name: ${STREAM_NAME_RULE.replace(/^must be /, '')}` };
/** "Event types: a, b, c, d,\n             e, …": four to a line. */
const EVENTS_HELP = `Event types: ${Array.from({ length: Math.ceil(EVENT_TYPES.length / 4) }, (_, i) => EVENT_TYPES.slice(i * 4, i * 4 + 4).join(', ')).join(',\n             ')}.`;

function nameOf(args: Arguments): string {
  const name = args.required('name');
  if (!STREAM_NAME.test(name)) throw new UsageError(`--name: the stream name ${STREAM_NAME_RULE}, not "${name}"`);
  return name;
}

/** "user.deleted,user.deactivated" → types; "all" → every type (undefined). */
function eventTypes(text: string): EventType[] | undefined {
  if (text === 'all') return undefined;
  const { types, unknown } = parseEventTypes(text.split(/[\s,]+/).filter((name) => name !== ''));
  if (unknown.length > 0 || types.length === 0) throw new UsageError(`--events: ${unknown.length > 0 ? `"${unknown[0]}" is not an event type` : 'no event types given'} (${EVENT_TYPES.join(', ')}, or all)`);
  return types;
}

function table(streams: StreamView[]): string {
  const header = ['TENANT', 'NAME', 'EVENTS', 'BACKLOG', 'OLDEST (s)', 'FAILED', 'CREATED'];
  const rows = streams.map((s) => [s.tenant, s.name, s.events?.join(',') ?? 'all', String(s.backlog.pending), String(s.backlog.oldestPendingAgeSeconds ?? '-'), String(s.backlog.failed), s.createdAt]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] as string).length)));
  return [header, ...rows].map((row) => row.map((cell, column) => cell.padEnd(widths[column] as number)).join('  ').trimEnd()).join('\n');
}

/** Runs `work` on the stream service once the arguments are known to be good. */
async function onStreams(config: Config, work: (streams: EventStreamService) => Promise<void>): Promise<number> {
  await withStorage(config, say, { create: false }, (storage) =>
    work(createEventStreamService({ storage, issuer: config.publicBaseUrl ?? DEFAULT_ISSUER, longPollMs: 0, log: () => undefined })),
  );
  return EXIT.ok;
}

runProgram({
  name: 'streams',
  invocation: 'npm run streams --',
  direct: 'node dist/src/cli/streams.js',
  summary:
    'Creates, lists, changes and deletes event streams (RFC 8936 poll) for pulling apps. A receiver polls\n' +
    'POST /streams/<name>/poll with a token bound to its stream: npm run tokens -- create --stream <name> …',
  footer: DATABASE_HELP,
  known: [ScimError],
  commands: {
    create: {
      synopsis: '--name <name> [options]',
      summary: "a stream that receives the tenant's events from now on",
      description: EVENTS_HELP,
      options: {
        name: NAME,
        tenant: TENANT,
        events: { type: 'string', value: '<types>', description: 'comma-separated event types it receives (default: all)' },
      },
      async run(args) {
        const config = loadConfig();
        const tenant = tenantOf(args, config);
        const name = nameOf(args);
        const events = args.has('events') ? eventTypes(args.required('events')) : undefined;
        return onStreams(config, async (streams) => {
          const created = await streams.create(tenant, name, events);
          print(`created event stream "${created.name}" in tenant "${tenant}" (${created.events?.join(', ') ?? 'every event type'}); its receiver polls POST ${created.pollPath}`);
        });
      },
    },
    list: {
      synopsis: '[options]',
      summary: 'streams with their backlog (events not acknowledged yet) and its oldest age',
      options: { tenant: TENANT, json: { type: 'boolean', description: 'print JSON instead of a table' } },
      async run(args) {
        const config = loadConfig();
        const tenant = tenantOf(args, config);
        return onStreams(config, async (streams) => {
          const listed = await streams.list(tenant);
          print(args.flag('json') ? JSON.stringify(listed, null, 2) : listed.length === 0 ? 'no event streams' : table(listed));
        });
      },
    },
    show: {
      synopsis: '--name <name> [options]',
      summary: 'one stream as JSON, with the latest errors its receiver reported',
      options: { name: NAME, tenant: TENANT },
      async run(args) {
        const config = loadConfig();
        const tenant = tenantOf(args, config);
        const name = nameOf(args);
        return onStreams(config, async (streams) => {
          print(JSON.stringify(await streams.get(tenant, name), null, 2));
        });
      },
    },
    'set-events': {
      synopsis: '--name <name> --events <types> [options]',
      summary: 'the event types it receives from now on',
      description: EVENTS_HELP,
      options: {
        name: NAME,
        tenant: TENANT,
        events: { type: 'string', value: '<types>', description: 'comma-separated event types, or all' },
      },
      async run(args) {
        const config = loadConfig();
        const tenant = tenantOf(args, config);
        const name = nameOf(args);
        const events = eventTypes(args.required('events'));
        return onStreams(config, async (streams) => {
          const changed = await streams.setEvents(tenant, name, events);
          print(`event stream "${changed.name}" in tenant "${tenant}" now receives ${changed.events?.join(', ') ?? 'every event type'}`);
        });
      },
    },
    delete: {
      synopsis: '--name <name> [options]',
      summary: 'removes the stream and every event waiting in it',
      options: { name: NAME, tenant: TENANT },
      async run(args) {
        const config = loadConfig();
        const tenant = tenantOf(args, config);
        const name = nameOf(args);
        return onStreams(config, async (streams) => {
          await streams.remove(tenant, name);
          print(`deleted event stream "${name}" in tenant "${tenant}"`);
        });
      },
    },
  },
});
