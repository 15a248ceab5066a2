// `npm run streams -- <create|list|show|set-events|delete> ...`: event streams (RFC 8936 poll)
// for pulling apps. A stream receives its tenant's events from its creation on; its receiver
// polls it with a token bound to it (`npm run tokens -- create --scopes scim:read --stream <name>`).
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { ScimError } from '../errors/scim-error.js';
import { parseEventTypes } from '../lifecycle/event-streams.js';
import { EVENT_TYPES, type EventType } from '../lifecycle/types.js';
import { DEFAULT_ISSUER } from '../lifecycle/webhooks/payload.js';
import { createEventStreamService, type EventStreamService, type StreamView } from '../services/event-streams.js';
import { CliError, connect, openDatabase } from './database.js';
import { runCli } from './run.js';

const USAGE = `usage: npm run streams -- <command> [options]
       (or: node dist/src/cli/streams.js <command> ...)

  create --name <name> [--tenant <t>] [--events <types>]
                 a stream that receives the tenant's events from now on (all types, or the
                 comma-separated --events: ${EVENT_TYPES.join(', ')})
  list [--tenant <t>] [--json]
                 streams with their backlog (events not acknowledged yet) and its oldest age
  show --name <name> [--tenant <t>]
                 one stream as JSON, with the latest errors its receiver reported
  set-events --name <name> --events <types|all> [--tenant <t>]
                 the event types it receives from now on
  delete --name <name> [--tenant <t>]
                 removes the stream and every event waiting in it

--tenant defaults to DEFAULT_TENANT. Its receiver polls POST /streams/<name>/poll with a token
bound to it: npm run tokens -- create --name <app> --scopes scim:read --stream <name>
Connects to MONGODB_URI, or to the embedded engine in DATA_DIR (the running server's, if any).`;

const OPTIONS = {
  name: { type: 'string' },
  tenant: { type: 'string' },
  events: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type OptionName = keyof typeof OPTIONS;

const COMMANDS: Record<string, readonly OptionName[]> = {
  create: ['name', 'tenant', 'events'],
  list: ['tenant', 'json'],
  show: ['name', 'tenant'],
  'set-events': ['name', 'tenant', 'events'],
  delete: ['name', 'tenant'],
};

interface Command {
  name: string;
  values: Partial<Record<OptionName, string | boolean>>;
}

function parse(argv: string[]): Command | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  if (parsed.values.help) return 'help';
  const [name, ...extra] = parsed.positionals;
  if (name === undefined) throw new CliError(`missing command\n${USAGE}`);
  const allowed = COMMANDS[name];
  if (!allowed) throw new CliError(`unknown command "${name}"\n${USAGE}`);
  if (extra.length > 0) throw new CliError(`unexpected argument "${extra[0]}"\n${USAGE}`);
  const misplaced = (Object.keys(parsed.values) as OptionName[]).find((option) => !allowed.includes(option));
  if (misplaced) throw new CliError(`unknown option "--${misplaced}" for ${name}\n${USAGE}`);
  return { name, values: parsed.values };
}

function required(command: Command, option: 'name' | 'events'): string {
  const value = command.values[option];
  if (typeof value !== 'string' || value === '') throw new CliError(`${command.name} needs --${option}\n${USAGE}`);
  return value;
}

/** "user.deleted,user.deactivated" → types; "all" → every type (undefined). */
function eventTypes(text: string): EventType[] | undefined {
  if (text === 'all') return undefined;
  const { types, unknown } = parseEventTypes(text.split(/[\s,]+/).filter((name) => name !== ''));
  if (unknown.length > 0 || types.length === 0) throw new CliError(`--events: ${unknown.length > 0 ? `"${unknown[0]}" is not an event type` : 'no event types given'} (choose from ${EVENT_TYPES.join(', ')}, or all)`);
  return types;
}

function table(streams: StreamView[]): string {
  const header = ['TENANT', 'NAME', 'EVENTS', 'BACKLOG', 'OLDEST (s)', 'FAILED', 'CREATED'];
  const rows = streams.map((s) => [s.tenant, s.name, s.events?.join(',') ?? 'all', String(s.backlog.pending), String(s.backlog.oldestPendingAgeSeconds ?? '-'), String(s.backlog.failed), s.createdAt]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] as string).length)));
  return [header, ...rows].map((row) => row.map((cell, column) => cell.padEnd(widths[column] as number)).join('  ').trimEnd()).join('\n');
}

async function execute(command: Command, streams: EventStreamService, tenant: string): Promise<void> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  switch (command.name) {
    case 'create': {
      const events = typeof command.values.events === 'string' ? eventTypes(command.values.events) : undefined;
      const created = await streams.create(tenant, required(command, 'name'), events);
      say(`created event stream "${created.name}" in tenant "${tenant}" (${created.events?.join(', ') ?? 'every event type'}); its receiver polls POST ${created.pollPath}`);
      return;
    }
    case 'list': {
      const listed = await streams.list(tenant);
      say(command.values.json ? JSON.stringify(listed, null, 2) : listed.length === 0 ? 'no event streams' : table(listed));
      return;
    }
    case 'show':
      say(JSON.stringify(await streams.get(tenant, required(command, 'name')), null, 2));
      return;
    case 'set-events': {
      const changed = await streams.setEvents(tenant, required(command, 'name'), eventTypes(required(command, 'events')));
      say(`event stream "${changed.name}" in tenant "${tenant}" now receives ${changed.events?.join(', ') ?? 'every event type'}`);
      return;
    }
    default:
      await streams.remove(tenant, required(command, 'name'));
      say(`deleted event stream "${command.values.name}" in tenant "${tenant}"`);
  }
}

async function main(argv: string[]): Promise<number> {
  const command = parse(argv);
  if (command === 'help') {
    console.log(USAGE);
    return 0;
  }
  const config = loadConfig();
  const database = await openDatabase(config, (line) => process.stderr.write(`[streams] ${line}\n`));
  try {
    const storage = await connect(database.uri);
    try {
      const streams = createEventStreamService({ storage, issuer: config.publicBaseUrl ?? DEFAULT_ISSUER, longPollMs: 0, log: () => undefined });
      const tenant = typeof command.values.tenant === 'string' ? command.values.tenant : config.defaultTenant;
      await execute(command, streams, tenant);
    } finally {
      await storage.close().catch(() => undefined);
    }
  } finally {
    await database.stop?.();
  }
  return 0;
}

runCli('streams', main, [ScimError]);
