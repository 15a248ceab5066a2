// `npm run import -- <file> [--upsert] [--dry-run] [--rejects <file>] ...`: creates (or, with
// --upsert, creates or updates) the users and groups of a file through the user and group services,
// so validation, uniqueness, lifecycle rules, audit entries and events apply exactly as for POST and
// PUT. New users go in batches (one insert per collection per batch, D35); groups follow, once the
// users they name exist. A record that fails is reported with its line number and skipped.
// `--format csv --map <mapping.json> [--reconcile]`: an HR feed (src/cli/import/feed/): joiners,
// movers and, from a full extract, leavers, through the same user service.
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { checkTenant, TokenAdminError } from '../auth/token-admin.js';
import { loadConfig, type Config } from '../config.js';
import { routeEvents } from '../lifecycle/background.js';
import { describePolicy, loadConfiguredPolicy } from '../lifecycle/policy/load.js';
import type { Policy } from '../lifecycle/policy/types.js';
import { ExtensionError, registerExtensionDirectory } from '../scim/extension-files.js';
import type { RequestContext } from '../services/context.js';
import { createGroupService } from '../services/groups.js';
import { createLifecycle } from '../services/lifecycle.js';
import { createUserService } from '../services/users.js';
import type { Storage } from '../store/contract.js';
import { DATABASE_HELP, reason, withStorage } from './database.js';
import { readExtract } from './import/feed/extract.js';
import { loadMapping } from './import/feed/mapping.js';
import { reconcileFeed } from './import/feed/reconcile.js';
import { runImport, type ImportMode, type ImportSummary } from './import/importer.js';
import { openRejectsFile, type Rejection, type RejectsFile } from './import/rejects.js';
import { FORMATS, type ImportFormat } from './import/source.js';
import { dryRunTarget, serviceTarget } from './import/targets.js';
import { unknownAttributeScreen } from './import/unknown-attributes.js';
import { watchInterrupts, type Interrupts } from './interrupts.js';
import { CliError, EXIT, fileError, runProgram, UsageError, type Arguments } from './run.js';

const ACTOR = 'cli:import';
const LISTED_REJECTIONS = 20;

const say = (line: string) => process.stderr.write(`[import] ${line}\n`);

/** An HR extract (CSV) and its mapping file. */
interface FeedOptions {
  map: string;
  reconcile: boolean;
  /** Percent of the owned active users. */
  maxLeavers: number;
  force: boolean;
}

interface Options {
  file: string;
  /** Undefined for an HR feed, which `feed` describes. */
  format: ImportFormat | undefined;
  feed: FeedOptions | undefined;
  mode: ImportMode;
  dryRun: boolean;
  rejects: string | undefined;
  batch: number;
  concurrency: number;
  tenant: string | undefined;
  init: boolean;
}

const FEED_OPTIONS = ['map', 'reconcile', 'max-leavers', 'force'];
const RECORD_OPTIONS = ['upsert', 'rejects', 'batch', 'concurrency'];

function feedOptions(args: Arguments): FeedOptions {
  const given = RECORD_OPTIONS.find((name) => args.has(name));
  if (given) throw new UsageError(`--${given} applies to ndjson files; an HR feed (--format csv) matches people by the mapping's key`);
  const map = args.string('map');
  if (map === undefined) throw new UsageError('--format csv needs --map <mapping.json>: which column is which SCIM attribute');
  const reconcile = args.flag('reconcile');
  for (const name of ['max-leavers', 'force']) if (args.has(name) && !reconcile) throw new UsageError(`--${name} is about leavers, which only --reconcile (a full extract) has`);
  const text = args.required('max-leavers');
  const maxLeavers = Number(text.replace(/%$/, ''));
  if (!/^\d+(\.\d+)?%?$/.test(text) || maxLeavers > 100) throw new UsageError(`--max-leavers must be a percentage from 0 to 100, not "${text}"`);
  return { map, reconcile, maxLeavers, force: args.flag('force') };
}

function options(args: Arguments): Options {
  const file = args.positionals[0] as string;
  const formatName = args.required('format');
  const format = FORMATS[formatName];
  if (!format && formatName !== 'csv') throw new UsageError(`--format must be one of ${[...Object.keys(FORMATS), 'csv'].join(', ')}, not "${formatName}"`);
  const feed = format ? undefined : feedOptions(args);
  const misplaced = format && FEED_OPTIONS.find((name) => args.has(name));
  if (misplaced) throw new UsageError(`--${misplaced} applies to an HR feed: --format csv --map <mapping.json>`);
  const rejects = args.string('rejects');
  if (rejects !== undefined && path.resolve(rejects) === path.resolve(file)) throw new UsageError('--rejects must not be the file being imported');
  if (args.flag('dry-run') && args.flag('init')) throw new UsageError('--dry-run writes nothing, so it cannot --init a database');
  const tenant = args.string('tenant');
  if (tenant !== undefined) {
    try {
      checkTenant(tenant);
    } catch (error) {
      throw new UsageError(`--tenant: ${(error as TokenAdminError).message}`);
    }
  }
  return {
    file,
    format,
    feed,
    mode: args.flag('upsert') ? 'upsert' : 'create',
    dryRun: args.flag('dry-run'),
    rejects,
    batch: args.integer('batch', 1, 1_000),
    concurrency: args.integer('concurrency', 1, 64),
    tenant,
    init: args.flag('init'),
  };
}

async function checkReadable(file: string): Promise<void> {
  const info = await stat(file).catch((error: unknown) => {
    throw fileError('read', file, error);
  });
  if (!info.isFile()) throw new CliError(`cannot read ${file}: not a regular file`);
}

const formatCount = (n: number) => n.toLocaleString('en-US');

function summaryLine(options: Options, summary: ImportSummary, seconds: number, requestId: string): string {
  const { User: users, Group: groups } = summary.counts;
  const dry = options.dryRun;
  const part = (counts: typeof users, one: string, many: string) => {
    const created = counts.created;
    return `${formatCount(created)} ${created === 1 ? one : many} ${dry ? 'to create' : 'created'}, ${formatCount(counts.updated)} ${dry ? 'to update' : 'updated'}, ${formatCount(counts.unchanged)} unchanged`;
  };
  const applied = users.created + users.updated + users.unchanged;
  const head = dry ? `dry run of ${options.file}, nothing written` : `imported ${options.file}`;
  const stopped = summary.interruptedAt === undefined ? '' : `; interrupted: records from line ${summary.interruptedAt} on were not read`;
  return (
    `${head}: ${part(users, 'user', 'users')}; ${part(groups, 'group', 'groups')}; ${formatCount(summary.rejected)} rejected` +
    `${stopped}; ${seconds.toFixed(1)} s (${formatCount(Math.round(applied / Math.max(seconds, 0.001)))} users/s)${dry ? '' : `; request id ${requestId}`}`
  );
}

const progressBar = () =>
  new cliProgress.SingleBar(
    { format: '[import] [{bar}] {percentage}% {value}/{total} records · ETA {eta_formatted}', stream: process.stderr, noTTYOutput: true, notTTYSchedule: 5_000, barsize: 30 },
    cliProgress.Presets.legacy,
  );

const describeRejection = ({ line, error }: Rejection) => `line ${line}: ${error.status}${error.toBody().scimType ? ` ${error.toBody().scimType}` : ''}: ${error.message}`;

interface Run {
  options: Options;
  config: Config;
  policy: Policy;
  ctx: RequestContext;
  /** Records in the file, for the progress bar. */
  total: number;
  interrupts: Interrupts;
  rejectsFile: RejectsFile | undefined;
}

/** The services POST, PUT and PATCH use, with this command's policy and webhooks. */
function services(storage: Storage, config: Config, policy: Policy) {
  const lifecycle = createLifecycle({ storage, policy, webhooksFor: routeEvents(config), log: (entry) => say(JSON.stringify(entry)) });
  const users = createUserService(storage, lifecycle);
  const groups = createGroupService(storage, lifecycle, async (context, id, operation) => void (await users.reevaluate(context, id, operation)));
  return { users, groups };
}

/** The import on an open database: services (or the dry-run stand-in), progress, report. */
async function importInto(storage: Storage, run: Run): Promise<number> {
  const { options, ctx, interrupts, rejectsFile } = run;
  const { users, groups } = services(storage, run.config, run.policy);
  const format = options.format as ImportFormat;
  const target = options.dryRun ? dryRunTarget(storage, ctx) : serviceTarget(storage, users, groups, ctx);
  const listed: Rejection[] = [];
  const bar = progressBar();
  const started = performance.now();
  bar.start(run.total, 0);
  const unknown = unknownAttributeScreen(run.config.unknownAttributes);
  let summary: ImportSummary;
  try {
    summary = await runImport(
      { file: options.file, format, mode: options.mode, batch: options.batch, concurrency: options.concurrency, screen: unknown.screen },
      target,
      {
        async rejected(rejections) {
          listed.push(...rejections.slice(0, LISTED_REJECTIONS - listed.length));
          await rejectsFile?.write(rejections);
        },
        progress: (done) => bar.update(done),
      },
      interrupts,
    );
  } catch (error) {
    // E.g. Ctrl-C in a terminal also reached the engine this command started.
    if (interrupts.signal) {
      say(`interrupted (${reason(error)}); what was imported is kept: rerun with --upsert to finish`);
      return EXIT.interrupted;
    }
    throw new CliError(`import stopped: ${reason(error)}; what was imported is kept: rerun with --upsert to finish`);
  } finally {
    bar.stop();
  }
  for (const { resource, path: attribute, records } of unknown.ignored()) {
    say(`ignored the unknown ${resource} attribute '${attribute}' on ${formatCount(records)} line${records === 1 ? '' : 's'} (UNKNOWN_ATTRIBUTES=ignore)`);
  }
  for (const rejection of listed) say(describeRejection(rejection));
  if (summary.rejected > listed.length) say(`… and ${formatCount(summary.rejected - listed.length)} more rejected records${options.rejects ? '' : ' (--rejects <file> lists them all)'}`);
  if (options.rejects && summary.rejected > 0) say(`rejected records: ${options.rejects}`);
  console.log(summaryLine(options, summary, (performance.now() - started) / 1000, ctx.requestId));
  if (summary.interruptedAt !== undefined) return EXIT.interrupted;
  return summary.rejected > 0 ? EXIT.rejected : EXIT.ok;
}

/** An HR extract: read and checked whole before the database is opened; then planned and applied. */
async function importFeed(options: Options, feed: FeedOptions, config: Config, policy: Policy, ctx: RequestContext): Promise<number> {
  const mapping = await loadMapping(feed.map);
  const people = await readExtract(options.file, mapping);
  const interrupts = watchInterrupts(
    (signal) => say(`${signal}: finishing the writes in flight, then stopping (again to quit at once)`),
    (signal) => say(`${signal} again: quitting at once; rerun the extract to finish`),
  );
  const run = { file: options.file, mapping, people, reconcile: feed.reconcile, dryRun: options.dryRun, maxLeavers: feed.maxLeavers, force: feed.force, ctx, say, interrupted: () => interrupts.signal !== undefined };
  try {
    return await withStorage(config, say, options.dryRun ? { create: false } : { create: options.init, createOption: '--init' }, (storage) => reconcileFeed(storage, services(storage, config, policy).users, run));
  } finally {
    interrupts.dispose();
  }
}

async function importFile(options: Options): Promise<number> {
  await checkReadable(options.file);
  const config = loadConfig();
  registerExtensionDirectory(config.schemaExtensionsDir);
  const policy = loadConfiguredPolicy(config.policyFile);
  say(describePolicy(config.policyFile, policy));
  const ctx: RequestContext = { tenant: options.tenant ?? config.defaultTenant, actor: ACTOR, requestId: `import:${randomUUID()}` };
  if (!options.format) return importFeed(options, options.feed as FeedOptions, config, policy, ctx);
  const total = await options.format.count(options.file).catch((error: unknown) => {
    throw fileError('read', options.file, error);
  });
  const interrupts = watchInterrupts(
    (signal) => say(`${signal}: finishing the records in flight, then stopping (again to quit at once)`),
    (signal) => say(`${signal} again: quitting at once; rerun with --upsert to finish the import`),
  );
  try {
    return await withStorage(config, say, options.dryRun ? { create: false } : { create: options.init, createOption: '--init' }, async (storage) => {
      // Opened before anything is imported (an unwritable path stops nothing midway), not before the
      // database is found (a refusal leaves no empty file behind).
      const rejectsFile = options.rejects === undefined ? undefined : await openRejectsFile(options.rejects);
      try {
        return await importInto(storage, { options, config, policy, ctx, total, interrupts, rejectsFile });
      } finally {
        await rejectsFile?.close();
      }
    });
  } finally {
    interrupts.dispose();
  }
}

const formatList = Object.entries(FORMATS)
  .map(([name, format]) => `${name}: ${format.description}`)
  .join('; ');

runProgram({
  name: 'import',
  invocation: 'npm run import --',
  direct: 'node dist/src/cli/import.js',
  exits: ['ok', 'error', 'usage', 'rejected', 'interrupted'],
  known: [ExtensionError],
  command: {
    synopsis: '<file> [options]',
    summary: 'Creates the users and groups of a file through the same services as POST (and, with --upsert, PUT).',
    description:
      'A User line is a SCIM User; a Group line names the Group schema, and its members as\n' +
      '{"value": "<id>"}, {"userName": "..."} or {"externalId": "..."} (users of the file or stored).\n' +
      'Users are applied first, in batches; then the groups, one at a time. Rerunning a file with\n' +
      '--upsert changes nothing that is already as the file says (no new versions, no audit entries).\n' +
      'Records that fail are listed (line number and SCIM error) and skipped; the others are applied.\n' +
      'HR feed: --format csv --map <mapping.json> reads an HR extract whose columns the mapping names as\n' +
      'SCIM attributes: joiners are created, movers get a PATCH of the changed attributes and, with\n' +
      '--reconcile (a full extract), users the feed owns that the extract lacks are deactivated. The\n' +
      'plan (joiners, movers before → after, leavers) is printed first. The extract is checked whole:\n' +
      'any bad row stops the run before anything is written (docs/cli.md, docs/governance.md).',
    positionals: { name: 'the file to import', min: 1, max: 1 },
    options: {
      format: { type: 'string', value: '<format>', default: 'ndjson', description: `the file's format (${formatList}; csv: an HR extract, read with --map)` },
      map: { type: 'string', value: '<mapping.json>', description: 'HR feed: which CSV column is which SCIM attribute, the key column, and\nwhich users the feed owns ("owns")' },
      reconcile: { type: 'boolean', description: 'HR feed: the extract is complete: owned active users it lacks are\ndeactivated (leavers); owned inactive users it lists are reactivated' },
      'max-leavers': { type: 'string', value: '<percent>', default: '10', description: 'HR feed: refuse (changing nothing) to deactivate more than this share\nof the active users the feed owns' },
      force: { type: 'boolean', description: 'HR feed: deactivate the leavers even beyond --max-leavers' },
      upsert: {
        type: 'boolean',
        description:
          'update what exists: a user matched by externalId, else by userName (a group: by externalId,\n' +
          'else displayName) is replaced as PUT would; a password is set only on users it creates',
      },
      'dry-run': { type: 'boolean', description: 'validate and look up only: report what would be created, updated or\nrejected (an HR feed: its plan); nothing is written' },
      rejects: { type: 'string', value: '<file>', description: 'write every rejected record (line, type, key, status, scimType, reason)\nto this file: CSV if it ends in .csv, else NDJSON' },
      batch: { type: 'string', value: '<1-1000>', default: '200', description: 'users created together, one insert per collection' },
      concurrency: { type: 'string', value: '<1-64>', default: '2', description: 'batches in flight at a time' },
      tenant: { type: 'string', value: '<tenant>', description: 'the tenant to import into (default DEFAULT_TENANT)' },
      init: { type: 'boolean', description: 'when DATA_DIR holds no database yet, start a new one there' },
    },
    footer: DATABASE_HELP,
    run: (args) => importFile(options(args)),
  },
});
