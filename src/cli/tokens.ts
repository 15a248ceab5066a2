// `npm run tokens -- <create|list|revoke|rotate> ...`: API token management. Tokens are printed
// once, at creation or rotation, on stdout alone (so `$(npm run -s tokens -- create ...)` captures
// exactly the token); only their SHA-256 is stored, and nothing else ever prints one. Whoever can
// run this has the database, so it is the root of trust: it grants any scope in any tenant.
import { randomUUID } from 'node:crypto';
import { parseScopeList, type Scope } from '../auth/scopes.js';
import { checkName, checkStreamBinding, checkTenant, createToken, listTokens, parseDuration, revokeToken, rotateToken, TokenAdminError, type IssuedToken, type TokenActor, type TokenInfo } from '../auth/token-admin.js';
import { loadConfig, type Config } from '../config.js';
import type { CredentialStore, Storage } from '../store/contract.js';
import { DATABASE_HELP, withStorage, type DatabaseChoice } from './database.js';
import { CliError, EXIT, runProgram, UsageError, type Arguments, type OptionSpec } from './run.js';

const say = (line: string) => process.stderr.write(`[tokens] ${line}\n`);

const TENANT: OptionSpec = { type: 'string', value: '<tenant>', description: 'the tenant (default DEFAULT_TENANT)' };
const NAME: OptionSpec = { type: 'string', value: '<name>', description: "the token's name: 1-64 letters, digits or . _ : @ -" };
const EXPIRES_IN: OptionSpec = { type: 'string', value: '<duration>', description: 'lifetime, e.g. 90d, 12h, 30m, 45s (default: never expires; rotate keeps the old lifetime)' };

/** Argument checks that need no database: a bad value is a usage error and nothing starts. */
function checked<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof TokenAdminError) throw new UsageError(error.message);
    throw error;
  }
}

const tenantOf = (args: Arguments, config: Config) => checked(() => checkTenant(args.string('tenant') ?? config.defaultTenant));
const nameOf = (args: Arguments) => checked(() => checkName(args.required('name')));
const durationOf = (args: Arguments, option: string) => {
  const text = args.string(option);
  return text === undefined ? undefined : checked(() => parseDuration(text, `--${option}`));
};

function scopesOf(args: Arguments): Scope[] {
  try {
    return parseScopeList(args.required('scopes'));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--scopes: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const describeToken = (info: TokenInfo) =>
  `"${info.name}" in tenant "${info.tenant}" (scopes ${info.scopes.join(', ')}${info.stream ? `; polls event stream "${info.stream}"` : ''}; ${info.expiresAt ? `expires ${info.expiresAt}` : 'never expires'})`;

function printIssued(action: string, issued: IssuedToken): void {
  say(`${action} ${describeToken(issued.info)}. The token is shown only this once; store it now:`);
  process.stdout.write(`${issued.token}\n`);
}

function table(tokens: TokenInfo[]): string {
  const header = ['TENANT', 'NAME', 'SCOPES', 'STREAM', 'STATUS', 'CREATED', 'EXPIRES', 'REVOKED', 'LAST USED'];
  const rows = tokens.map((t) => [t.tenant, t.name, t.scopes.join(','), t.stream ?? '-', t.status, t.createdAt, t.expiresAt ?? '-', t.revokedAt ?? '-', t.lastUsedAt ?? '-']);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] as string).length)));
  return [header, ...rows].map((row) => row.map((cell, column) => cell.padEnd(widths[column] as number)).join('  ').trimEnd()).join('\n');
}

/** The CLI has database access and stands for the operator: its audit entries name it so. */
const CLI_ACTOR = 'cli:tokens';

const actor = (): TokenActor => ({ actor: CLI_ACTOR, requestId: `tokens:${randomUUID()}` });

/** Runs `work` on the storage once the arguments are known to be good. */
async function onStorage(config: Config, choice: DatabaseChoice, work: (storage: Storage) => Promise<void>): Promise<number> {
  await withStorage(config, say, choice, work);
  return EXIT.ok;
}

const onCredentials = (config: Config, choice: DatabaseChoice, work: (store: CredentialStore) => Promise<void>) => onStorage(config, choice, (storage) => work(storage.credentials));

const EXISTING_DATA: DatabaseChoice = { create: false };

runProgram({
  name: 'tokens',
  invocation: 'npm run tokens --',
  direct: 'node dist/src/cli/tokens.js',
  summary: 'Creates, lists, rotates and revokes API tokens. A token is printed once, on stdout alone; only its SHA-256 is stored.',
  footer: DATABASE_HELP,
  known: [TokenAdminError],
  commands: {
    create: {
      synopsis: '--name <name> --scopes <scopes> [options]',
      summary: 'a new token with these scopes, printed once',
      description:
        'Scopes (comma-separated): scim:read, scim:write, audit:read, tokens:manage, campaigns:manage,\n' +
        'campaigns:review; admin stands for audit:read,tokens:manage. A reviewer\'s campaigns:review\n' +
        'credential is minted by POST /admin/campaigns/reviewer-tokens, which binds it to the reviewer.\n' +
        'With --stream the token may poll that event stream of its tenant (npm run streams); it needs\n' +
        'scim:read.',
      options: {
        name: NAME,
        scopes: { type: 'string', value: '<scopes>', description: 'comma-separated scopes, e.g. scim:read,scim:write' },
        tenant: TENANT,
        'expires-in': EXPIRES_IN,
        stream: { type: 'string', value: '<stream>', description: 'bind the token to this event stream of the tenant, which it may\nthen poll (the stream must exist)' },
        init: { type: 'boolean', description: 'when DATA_DIR holds no database yet, start a new one there\n(a token before the first server start)' },
      },
      async run(args) {
        const config = loadConfig();
        const stream = args.string('stream');
        const spec = { grantor: 'root' as const, tenant: tenantOf(args, config), name: nameOf(args), scopes: scopesOf(args), lifetimeMs: durationOf(args, 'expires-in'), stream };
        checked(() => checkStreamBinding(stream, spec.scopes));
        return onStorage(config, { create: args.flag('init'), createOption: '--init' }, async (storage) => {
          if (stream !== undefined && !(await storage.streams.get(spec.tenant, stream))) {
            throw new CliError(`--stream: no event stream named "${stream}" in tenant "${spec.tenant}" (npm run streams -- list)`);
          }
          printIssued('created', await createToken(storage.credentials, spec, actor()));
        });
      },
    },
    list: {
      synopsis: '[options]',
      summary: 'tokens by tenant and name, with scopes, dates, status and last use (to the hour); never a token or hash',
      options: {
        tenant: { type: 'string', value: '<tenant>', description: 'only this tenant (default: every tenant)' },
        json: { type: 'boolean', description: 'print JSON instead of a table' },
      },
      async run(args) {
        const config = loadConfig();
        const tenant = args.has('tenant') ? tenantOf(args, config) : undefined;
        return onCredentials(config, EXISTING_DATA, async (store) => {
          const tokens = await listTokens(store, tenant);
          process.stdout.write(args.flag('json') ? `${JSON.stringify(tokens, null, 2)}\n` : tokens.length === 0 ? 'no tokens\n' : `${table(tokens)}\n`);
        });
      },
    },
    revoke: {
      synopsis: '--name <name> [options]',
      summary: "the name's tokens stop working at once",
      options: { name: NAME, tenant: TENANT },
      async run(args) {
        const config = loadConfig();
        const tenant = tenantOf(args, config);
        const name = nameOf(args);
        return onCredentials(config, EXISTING_DATA, async (store) => {
          const count = await revokeToken(store, tenant, name, actor());
          process.stdout.write(count === 0 ? `"${name}" in tenant "${tenant}" was already revoked\n` : `revoked "${name}" in tenant "${tenant}" (${count} token${count === 1 ? '' : 's'})\n`);
        });
      },
    },
    rotate: {
      synopsis: '--name <name> [options]',
      summary: 'a new token with the same scopes, printed once; the old one stops at once or after --grace',
      options: {
        name: NAME,
        tenant: TENANT,
        grace: { type: 'string', value: '<duration>', description: 'the old token keeps working this long (e.g. 10m), so the new one\ncan be configured first (default: it stops at once)' },
        'expires-in': EXPIRES_IN,
      },
      async run(args) {
        const config = loadConfig();
        const tenant = tenantOf(args, config);
        const name = nameOf(args);
        const graceMs = durationOf(args, 'grace');
        const lifetimeMs = durationOf(args, 'expires-in');
        return onCredentials(config, EXISTING_DATA, async (store) => {
          const issued = await rotateToken(store, tenant, name, { grantor: 'root', graceMs, lifetimeMs }, actor());
          printIssued(graceMs ? `rotated (the old token keeps working for ${args.string('grace')})` : 'rotated (the old token no longer works)', issued);
        });
      },
    },
  },
});
