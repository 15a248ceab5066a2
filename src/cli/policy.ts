// `npm run policy -- re-evaluate [--batch 200] [--restart]`: re-applies the access policy to every
// user after a policy change. Idempotent (only users whose grants or permissions change are
// written) and resumable (a checkpoint is saved after every batch and on Ctrl-C).
// `npm run policy -- diff <draft.json>`: what a draft policy would change, writing nothing (policy-diff.ts).
import { randomUUID } from 'node:crypto';
import { loadConfig, type Config } from '../config.js';
import { ScimError } from '../errors/scim-error.js';
import { routeEvents } from '../lifecycle/background.js';
import { ExtensionError, registerExtensionDirectory } from '../scim/extension-files.js';
import { describePolicy, loadConfiguredPolicy, loadPolicy } from '../lifecycle/policy/load.js';
import type { Policy } from '../lifecycle/policy/types.js';
import { createLifecycle } from '../services/lifecycle.js';
import { policyWhatIf, policyWhatIfCsv } from '../services/policy-what-if.js';
import { createUserService, type UserService } from '../services/users.js';
import type { JobRecord, Storage } from '../store/contract.js';
import { DATABASE_HELP, reason, withStorage } from './database.js';
import { watchInterrupts } from './interrupts.js';
import { formatReport, loadDraft } from './policy-diff.js';
import { CliError, EXIT, runProgram, UsageError } from './run.js';
import { TENANT, tenantOf } from './tenant-option.js';

const JOB_ID = 'policy-reevaluate';
const ACTOR = 'cli:policy-reevaluate';
const DEFAULT_BATCH = 200;
const MAX_BATCH = 10_000;
const REDRAW_MS = 100;
const DIFF_FORMATS = ['text', 'json', 'csv'] as const;
const DEFAULT_DIFF_LIMIT = 20;
const MAX_DIFF_LIMIT = 1000;

interface Options {
  batch: number;
  restart: boolean;
}

// ---- Output ----

const formatCount = (n: number) => n.toLocaleString('en-US');
const userCount = (n: number) => `${formatCount(n)} ${n === 1 ? 'user' : 'users'}`;

/**
 * Progress on stderr: a bar redrawn at most every REDRAW_MS on a terminal, one line per batch
 * otherwise (CI, log files). Messages are written above the bar.
 */
class Progress {
  private readonly tty: boolean;
  private readonly started = Date.now();
  private lastDraw = 0;
  private drawn = false;
  private last: JobRecord | undefined;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private total: number,
    private readonly processedBefore: number,
  ) {
    this.tty = stream.isTTY === true;
  }

  message(text: string): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.stream.write(`${text}\n`);
    if (this.drawn && this.last) this.draw(this.last);
  }

  /** After each user: redraws the bar when a terminal and enough time has passed. */
  update(job: JobRecord): void {
    this.last = job;
    if (!this.tty || Date.now() - this.lastDraw < REDRAW_MS) return;
    this.draw(job);
  }

  /** After each checkpoint. */
  batch(job: JobRecord): void {
    this.last = job;
    if (this.tty) this.draw(job);
    else this.stream.write(`[policy] ${this.stats(job)}\n`);
  }

  /** Leaves the bar (if any) on its own line. */
  end(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }

  private stats(job: JobRecord): string {
    // Users created during the run, or an estimated count, may put the count past the total.
    this.total = Math.max(this.total, job.processed);
    const percent = this.total === 0 ? 100 : Math.floor((job.processed / this.total) * 100);
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? Math.round((job.processed - this.processedBefore) / seconds) : 0;
    return `${percent}% ${formatCount(job.processed)}/${formatCount(this.total)} users · ${formatCount(job.changed)} changed · ${formatCount(rate)} users/s`;
  }

  private draw(job: JobRecord): void {
    const stats = this.stats(job);
    const columns = this.stream.columns || 80;
    const width = Math.max(10, Math.min(30, columns - 62));
    const filled = this.total === 0 ? width : Math.floor((job.processed / this.total) * width);
    this.stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${stats}\x1b[K`);
    this.lastDraw = Date.now();
    this.drawn = true;
  }
}

// ---- The job ----

/** Where to start: a resumed run, a fresh one, or undefined when this policy was already applied. */
async function startingPoint(storage: Storage, previous: JobRecord | null, policy: Policy, options: Options, say: (line: string) => void): Promise<JobRecord | undefined> {
  if (previous && previous.fingerprint === policy.fingerprint && !options.restart) {
    if (previous.finishedAt) return undefined;
    say(`resuming after ${userCount(previous.processed)}`);
    return previous;
  }
  if (previous && !previous.finishedAt && previous.fingerprint !== policy.fingerprint) {
    say(`the policy changed since the interrupted run (${userCount(previous.processed)} done): starting over`);
  }
  const job: JobRecord = { id: JOB_ID, fingerprint: policy.fingerprint, lastId: undefined, processed: 0, changed: 0, startedAt: new Date() };
  await storage.jobs.save(job);
  return job;
}

/** True when the user's document changed; a user deleted since the scan is skipped. */
async function reevaluateUser(users: UserService, tenant: string, id: string, requestId: string): Promise<boolean> {
  try {
    return await users.reevaluate({ tenant, actor: ACTOR, requestId }, id, 'reevaluate');
  } catch (error) {
    if (error instanceof ScimError && error.code === 'notFound') return false;
    throw error;
  }
}

async function reevaluateAll(config: Config, policy: Policy, storage: Storage, options: Options): Promise<number> {
  const say = (line: string) => process.stderr.write(`[policy] ${line}\n`);
  const previous = await storage.jobs.get(JOB_ID);
  const job = await startingPoint(storage, previous, policy, options, say);
  if (!job) {
    const finished = previous?.finishedAt?.toISOString() ?? '';
    console.log(`nothing to do: every user was re-evaluated against this policy (finished ${finished}: ${userCount(previous?.processed ?? 0)}, ${formatCount(previous?.changed ?? 0)} changed); use --restart to run again`);
    return 0;
  }

  const progress = new Progress(process.stderr, await storage.users.count(), job.processed);
  const log = (entry: Record<string, unknown>) => progress.message(JSON.stringify({ time: new Date().toISOString(), ...entry }));
  const lifecycle = createLifecycle({ storage, policy, webhooksFor: routeEvents(config), log });
  const users = createUserService(storage, lifecycle);
  // One request id for the run: its audit entries and events are found together.
  const requestId = `${JOB_ID}:${randomUUID()}`;
  const interrupts = watchInterrupts(
    (signal) => progress.message(`[policy] ${signal}: finishing the current user and saving the checkpoint (again to quit at once)`),
    (signal) => progress.message(`[policy] ${signal} again: quitting without saving; the next run resumes from the last checkpoint`),
  );
  let current: { tenant: string; id: string } | undefined;
  try {
    while (!interrupts.signal) {
      const batch = await storage.users.scan(job.lastId, options.batch);
      if (batch.length === 0) break;
      for (const user of batch) {
        if (interrupts.signal) break;
        current = user;
        const changed = await reevaluateUser(users, user.tenant, user.id, requestId);
        current = undefined;
        job.lastId = user.id;
        job.processed += 1;
        if (changed) job.changed += 1;
        progress.update(job);
      }
      await storage.jobs.save(job);
      progress.batch(job);
    }
  } catch (error) {
    // Everything up to the last user handled is kept, so the next run continues from there.
    const saved = await storage.jobs.save(job).then(() => true, () => false);
    progress.end();
    if (interrupts.signal) {
      // E.g. Ctrl-C also reached our own engine in the terminal's process group.
      const from = saved ? userCount(job.processed) : 'the last checkpoint';
      say(`interrupted (${reason(error)}); run the command again to resume after ${from}`);
      return EXIT.interrupted;
    }
    const where = current ? ` at user ${current.id} (tenant ${current.tenant})` : '';
    throw new CliError(`re-evaluation failed${where} after ${userCount(job.processed)}: ${reason(error)}; run the command again to resume`);
  } finally {
    interrupts.dispose();
  }

  progress.end();
  if (interrupts.signal) {
    say(`interrupted after ${userCount(job.processed)} (${formatCount(job.changed)} changed); run the command again to resume`);
    return EXIT.interrupted;
  }
  job.finishedAt = new Date();
  await storage.jobs.save(job);
  console.log(`re-evaluated ${userCount(job.processed)} against policy ${policy.fingerprint.slice(0, 12)}: ${formatCount(job.changed)} changed`);
  return 0;
}

/** Writes what the stream yields to stdout, as fast as stdout takes it. */
async function printStreamed(pieces: AsyncIterable<string>): Promise<void> {
  for await (const piece of pieces) {
    if (!process.stdout.write(piece)) await new Promise((resolve) => process.stdout.once('drain', resolve));
  }
}

runProgram({
  name: 'policy',
  invocation: 'npm run policy --',
  direct: 'node dist/src/cli/policy.js',
  summary: 'Applies the access policy (POLICY_FILE) to the users already stored, or shows what a draft policy would change.',
  footer: DATABASE_HELP,
  exits: ['ok', 'error', 'usage', 'interrupted'],
  known: [ExtensionError],
  commands: {
    're-evaluate': {
      synopsis: '[options]',
      summary: 're-applies the access policy to every user of every tenant after a policy change',
      description:
        'Idempotent (a user whose grants already follow the policy is not written) and resumable: a\n' +
        'checkpoint is saved after every batch and at the first Ctrl-C, and the next run continues from it.',
      options: {
        batch: { type: 'string', value: '<n>', default: String(DEFAULT_BATCH), description: `users per checkpoint, 1-${MAX_BATCH}` },
        restart: { type: 'boolean', description: 'start over, even when this policy was already applied or a run was interrupted' },
      },
      async run(args) {
        const options: Options = { batch: args.integer('batch', 1, MAX_BATCH), restart: args.flag('restart') };
        const say = (line: string) => process.stderr.write(`[policy] ${line}\n`);
        const config = loadConfig();
        registerExtensionDirectory(config.schemaExtensionsDir);
        // Without one the server grants no roles; re-applying that to every user would revoke every
        // role the policy granted, which is never what a forgotten variable should do.
        if (config.policyFile === undefined) throw new CliError('POLICY_FILE is not set: set it to the policy file the server runs with (re-evaluating against no policy would revoke every role it grants)');
        const policy = loadPolicy(config.policyFile);
        say(`access policy ${config.policyFile}: ${Object.keys(policy.roles).length} roles, ${policy.rules.length} rules (fingerprint ${policy.fingerprint.slice(0, 12)})`);
        return withStorage(config, say, { create: false }, (storage) => reevaluateAll(config, policy, storage, options));
      },
    },
    diff: {
      synopsis: '<draft.json> [options]',
      summary: "what a draft policy would change: per role, who would gain and who would lose it, and the rules responsible",
      description:
        'Evaluates the draft against every user of the tenant and compares with the roles they hold now;\n' +
        'writes nothing. The draft is validated as POLICY_FILE is at start-up: a bad draft exits 2 with\n' +
        'one line per problem. The same report as POST /admin/policy/what-if (docs/governance.md).',
      positionals: { name: 'draft policy file', min: 1, max: 1 },
      options: {
        tenant: TENANT,
        limit: { type: 'string', value: '<n>', default: String(DEFAULT_DIFF_LIMIT), description: `users listed per role and direction, 0-${MAX_DIFF_LIMIT} (text and json)` },
        format: { type: 'string', value: '<format>', default: 'text', description: 'text (a table and the first users), json (the admin API\'s report) or csv (every change)' },
      },
      async run(args) {
        const limit = args.integer('limit', 0, MAX_DIFF_LIMIT);
        const format = args.required('format');
        if (!(DIFF_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${DIFF_FORMATS.join(', ')}, not "${format}"`);
        const say = (line: string) => process.stderr.write(`[policy] ${line}\n`);
        const config = loadConfig();
        const tenant = tenantOf(args, config);
        // Before the draft: its rules may name attributes of the deployment's schema extensions.
        registerExtensionDirectory(config.schemaExtensionsDir);
        const file = args.positionals[0] as string;
        const draft = loadDraft(file);
        const current = loadConfiguredPolicy(config.policyFile);
        say(`current ${describePolicy(config.policyFile, current)}; draft ${file}: ${Object.keys(draft.roles).length} roles, ${draft.rules.length} rules`);
        return withStorage(config, say, { create: false }, async (storage) => {
          if (format === 'csv') await printStreamed(policyWhatIfCsv(storage, draft, tenant));
          else {
            const report = await policyWhatIf(storage, current, draft, { tenant, limit });
            console.log(format === 'json' ? JSON.stringify(report, null, 2) : formatReport(report, file));
          }
          return EXIT.ok;
        });
      },
    },
  },
});
