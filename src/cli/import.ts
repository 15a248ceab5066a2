// `npm run import -- users.ndjson [--batch 200] [--concurrency 2] [--tenant T]`: creates the users
// of an NDJSON file (one SCIM User body per line) through the user service, so ingress validation,
// userName claims, lifecycle rules, audit entries and events apply exactly as for POST /Users. Users
// are created in batches (one insert per collection per batch). A line that fails (bad JSON, invalid
// body, userName taken) is reported with its number and skipped; the others are imported.
// Re-running a file reports the already-imported users as uniqueness conflicts.
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import cliProgress from 'cli-progress';
import { loadConfig, type Config } from '../config.js';
import { ScimError } from '../errors/scim-error.js';
import { routeEvents } from '../lifecycle/background.js';
import { ExtensionError, registerExtensionDirectory } from '../scim/extension-files.js';
import { USER_RESOURCE } from '../scim/schema-registry.js';
import { screenResourceBody, unknownAttributesError } from '../scim/unknown-attributes.js';
import { describePolicy, loadConfiguredPolicy, PolicyError } from '../lifecycle/policy/load.js';
import { createLifecycle } from '../services/lifecycle.js';
import { createUserService, type UserService } from '../services/users.js';
import type { RequestContext } from '../services/context.js';
import type { Storage } from '../store/contract.js';
import { CliError, connect, openDatabase, reason } from './database.js';
import { runCli } from './run.js';

const USAGE = `usage: npm run import -- <users.ndjson> [--batch <1-1000>] [--concurrency <1-64>] [--tenant <tenant>]
       (or: node dist/src/cli/import.js ...)

  <users.ndjson>   one SCIM User resource (JSON) per line; blank lines are skipped
  --batch          users created together, one insert per collection (default 200)
  --concurrency    batches in flight at a time (default 2)
  --tenant         the tenant to import into (default DEFAULT_TENANT)

Connects to MONGODB_URI, or to the embedded engine in DATA_DIR (the running server's, if any).
Exit status: 0 all imported, 2 some lines failed (listed), 1 the import could not run.`;

const MAX_LISTED_FAILURES = 20;

interface Options {
  file: string;
  batch: number;
  concurrency: number;
  tenant: string | undefined;
}

const NUMERIC_OPTIONS = { '--batch': { key: 'batch', max: 1_000 }, '--concurrency': { key: 'concurrency', max: 64 } } as const;

function parseArgs(argv: readonly string[]): Options | 'help' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  const options: Partial<Options> = { batch: 200, concurrency: 2 };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '--batch' || arg === '--concurrency' || arg === '--tenant') {
      const value = argv[(i += 1)];
      if (value === undefined) throw new CliError(`${arg} needs a value\n${USAGE}`);
      if (arg === '--tenant') {
        options.tenant = value;
        continue;
      }
      const { key, max } = NUMERIC_OPTIONS[arg];
      if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) throw new CliError(`${arg} must be a whole number from 1 to ${max}`);
      options[key] = Number(value);
    } else if (arg.startsWith('-')) throw new CliError(`unknown option "${arg}"\n${USAGE}`);
    else if (options.file === undefined) options.file = arg;
    else throw new CliError(`only one file can be imported at a time\n${USAGE}`);
  }
  if (options.file === undefined) throw new CliError(`missing the NDJSON file\n${USAGE}`);
  return options as Options;
}

async function countLines(file: string): Promise<number> {
  let lines = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) if (line.trim() !== '') lines += 1;
  return lines;
}

interface Failure {
  line: number;
  message: string;
}

interface Line {
  number: number;
  text: string;
}

const describe = (error: ScimError) => `${error.status}${error.toBody().scimType ? ` ${error.toBody().scimType}` : ''}: ${error.message}`;

/** Attributes no schema defines, as POST /Users treats them (UNKNOWN_ATTRIBUTES): left out and tallied here, or the line fails. */
function unknownAttributeScreen(mode: Config['unknownAttributes'], ignored: Map<string, number>): (body: unknown) => unknown {
  return (body) => {
    const screened = screenResourceBody(USER_RESOURCE, body);
    if (screened.unknown.length > 0 && mode === 'reject') throw unknownAttributesError('invalidSyntax', USER_RESOURCE.name, screened.unknown);
    for (const path of screened.unknown) ignored.set(path, (ignored.get(path) ?? 0) + 1);
    return screened.value;
  };
}

/** Creates one batch of lines; returns how many were imported and the failed lines. */
async function importBatch(users: UserService, ctx: RequestContext, lines: readonly Line[], screen: (body: unknown) => unknown): Promise<{ imported: number; failures: Failure[] }> {
  const failures: Failure[] = [];
  const parsed: { line: number; body: unknown }[] = [];
  for (const { number, text } of lines) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      failures.push({ line: number, message: describe(new ScimError('invalidSyntax', 'the line is not valid JSON')) });
      continue;
    }
    try {
      parsed.push({ line: number, body: screen(body) });
    } catch (error) {
      if (!(error instanceof ScimError)) throw error;
      failures.push({ line: number, message: describe(error) });
    }
  }
  // Anything but a SCIM error (the database went away…) rejects, and stops the import.
  const outcomes = await users.createMany(ctx, parsed.map((item) => item.body));
  let imported = 0;
  outcomes.forEach((outcome, index) => {
    if (outcome instanceof ScimError) failures.push({ line: (parsed[index] as { line: number }).line, message: describe(outcome) });
    else imported += 1;
  });
  return { imported, failures };
}

async function importFile(options: Options, users: UserService, ctx: RequestContext, screen: (body: unknown) => unknown): Promise<{ imported: number; failures: Failure[]; seconds: number }> {
  const total = await countLines(options.file);
  const bar = new cliProgress.SingleBar(
    { format: '[import] [{bar}] {percentage}% {value}/{total} users · {rate} users/s · ETA {eta_formatted}', stream: process.stderr, noTTYOutput: true, notTTYSchedule: 5_000, barsize: 30 },
    cliProgress.Presets.legacy,
  );
  const started = performance.now();
  const failures: Failure[] = [];
  let done = 0;
  let imported = 0;
  bar.start(total, 0, { rate: 0 });
  const inFlight = new Set<Promise<void>>();
  const start = (lines: Line[]) => {
    const task: Promise<void> = importBatch(users, ctx, lines, screen)
      .then((result) => {
        imported += result.imported;
        failures.push(...result.failures);
      })
      .finally(() => {
        inFlight.delete(task);
        done += lines.length;
        bar.update(done, { rate: Math.round(done / ((performance.now() - started) / 1000)) });
      });
    inFlight.add(task);
  };
  let batch: Line[] = [];
  let number = 0;
  for await (const text of createInterface({ input: createReadStream(options.file), crlfDelay: Infinity })) {
    number += 1;
    if (text.trim() === '') continue;
    batch.push({ number, text });
    if (batch.length < options.batch) continue;
    start(batch);
    batch = [];
    if (inFlight.size >= options.concurrency) await Promise.race(inFlight);
  }
  if (batch.length > 0) start(batch);
  await Promise.all(inFlight);
  bar.stop();
  return { imported, failures: failures.sort((a, b) => a.line - b.line), seconds: (performance.now() - started) / 1000 };
}

async function main(argv: readonly string[]): Promise<number> {
  const options = parseArgs(argv);
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const say = (line: string) => process.stderr.write(`[import] ${line}\n`);
  const config = loadConfig();
  registerExtensionDirectory(config.schemaExtensionsDir);
  const policy = loadConfiguredPolicy(config.policyFile);
  say(describePolicy(config.policyFile, policy));
  const database = await openDatabase(config, say);
  let storage: Storage | undefined;
  try {
    storage = await connect(database.uri);
    const lifecycle = createLifecycle({ storage, policy, webhooksFor: routeEvents(config), log: (entry) => say(JSON.stringify(entry)) });
    const users = createUserService(storage, lifecycle);
    // One request id for the run: its audit entries and events are found together.
    const ctx: RequestContext = { tenant: options.tenant ?? config.defaultTenant, actor: 'cli:import', requestId: `import:${randomUUID()}` };
    const ignored = new Map<string, number>();
    const { imported, failures, seconds } = await importFile(options, users, ctx, unknownAttributeScreen(config.unknownAttributes, ignored)).catch((error: unknown) => {
      throw new CliError(`import stopped: ${reason(error)}`);
    });
    for (const [path, lines] of ignored) say(`ignored the unknown attribute '${path}' on ${lines} line${lines === 1 ? '' : 's'} (UNKNOWN_ATTRIBUTES=ignore)`);
    for (const failure of failures.slice(0, MAX_LISTED_FAILURES)) say(`line ${failure.line}: ${failure.message}`);
    if (failures.length > MAX_LISTED_FAILURES) say(`… and ${failures.length - MAX_LISTED_FAILURES} more failed lines`);
    console.log(`imported ${imported.toLocaleString('en-US')} users in ${seconds.toFixed(1)} s (${Math.round(imported / seconds).toLocaleString('en-US')} users/s); ${failures.length} failed; request id ${ctx.requestId}`);
    return failures.length > 0 ? 2 : 0;
  } finally {
    await storage?.close().catch(() => undefined);
    await database.stop?.();
  }
}

runCli('import', main, [PolicyError, ExtensionError]);
