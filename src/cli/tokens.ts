// `npm run tokens -- <create|list|revoke|rotate> ...`: API token management. Tokens are printed
// once, at creation or rotation, on stdout alone (so `$(npm run -s tokens -- create ...)` captures
// exactly the token); only their SHA-256 is stored, and nothing else ever prints one. Whoever can
// run this has the database, so it is the root of trust: it grants any scope in any tenant.
import { randomUUID } from 'node:crypto';
import { parseScopeList, type Scope } from '../auth/scopes.js';
import { createToken, listTokens, parseDuration, revokeToken, rotateToken, TokenAdminError, type IssuedToken, type TokenActor, type TokenInfo } from '../auth/token-admin.js';
import { loadConfig } from '../config.js';
import type { Storage } from '../store/contract.js';
import { CliError, connect, openDatabase } from './database.js';
import { runCli } from './run.js';

const USAGE = `usage: npm run tokens -- <command> [options]
       (or: node dist/src/cli/tokens.js <command> ...)

  create --name <name> --scopes <scopes> [--tenant <t>] [--expires-in <90d>] [--stream <name>]
                 a new token, printed once (scopes, comma-separated: scim:read, scim:write,
                 audit:read, tokens:manage; admin stands for audit:read,tokens:manage);
                 --stream binds it to that event stream of the tenant (npm run streams), which
                 it may then poll (needs scim:read)
  list [--tenant <t>] [--json]
                 tokens by tenant and name, with scopes, dates, status and last use (to the
                 hour); never a token or hash
  revoke --name <name> [--tenant <t>]
                 the name's tokens stop working at once
  rotate --name <name> [--tenant <t>] [--grace <10m>] [--expires-in <90d>]
                 a new token with the same scopes, printed once; the old one stops working at once,
                 or after --grace so the new one can be configured first

--tenant defaults to DEFAULT_TENANT. Durations: <n>s, <n>m, <n>h or <n>d.
Connects to MONGODB_URI, or to the embedded engine in DATA_DIR (the running server's, if any).`;

const OPTIONS: Record<string, { value: boolean; commands: string[] }> = {
  '--name': { value: true, commands: ['create', 'revoke', 'rotate'] },
  '--tenant': { value: true, commands: ['create', 'list', 'revoke', 'rotate'] },
  '--scopes': { value: true, commands: ['create'] },
  '--expires-in': { value: true, commands: ['create', 'rotate'] },
  '--grace': { value: true, commands: ['rotate'] },
  '--stream': { value: true, commands: ['create'] },
  '--json': { value: false, commands: ['list'] },
};

interface Command {
  name: string;
  options: Map<string, string>;
}

function parseArgs(argv: readonly string[]): Command | 'help' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  const [name, ...rest] = argv;
  if (name === undefined) throw new CliError(`missing command\n${USAGE}`);
  if (!['create', 'list', 'revoke', 'rotate'].includes(name)) throw new CliError(`unknown command "${name}"\n${USAGE}`);
  const options = new Map<string, string>();
  for (let i = 0; i < rest.length; i += 1) {
    const arg = rest[i] as string;
    const [key, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const spec = OPTIONS[key];
    if (!spec || !spec.commands.includes(name)) throw new CliError(`unknown option "${arg}" for ${name}\n${USAGE}`);
    const value = spec.value ? (inline ?? rest[(i += 1)]) : 'yes';
    if (value === undefined || value === '') throw new CliError(`${key} needs a value`);
    options.set(key, value);
  }
  return { name, options };
}

function required(command: Command, key: string): string {
  const value = command.options.get(key);
  if (value === undefined) throw new CliError(`${command.name} needs ${key}\n${USAGE}`);
  return value;
}

function optionalDuration(command: Command, key: string): number | undefined {
  const value = command.options.get(key);
  return value === undefined ? undefined : parseDuration(value, key);
}

function scopeOption(text: string): Scope[] {
  try {
    return parseScopeList(text);
  } catch (error) {
    throw new CliError(`--scopes: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const describeToken = (info: TokenInfo) =>
  `"${info.name}" in tenant "${info.tenant}" (scopes ${info.scopes.join(', ')}${info.stream ? `; polls event stream "${info.stream}"` : ''}; ${info.expiresAt ? `expires ${info.expiresAt}` : 'never expires'})`;

function printIssued(action: string, issued: IssuedToken): void {
  process.stderr.write(`[tokens] ${action} ${describeToken(issued.info)}. The token is shown only this once; store it now:\n`);
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

async function execute(command: Command, storage: Storage, defaultTenant: string): Promise<void> {
  const store = storage.credentials;
  const tenant = command.options.get('--tenant') ?? defaultTenant;
  const by: TokenActor = { actor: CLI_ACTOR, requestId: `tokens:${randomUUID()}` };
  switch (command.name) {
    case 'create': {
      const scopes = scopeOption(required(command, '--scopes'));
      const stream = command.options.get('--stream');
      if (stream !== undefined && !(await storage.streams.get(tenant, stream))) throw new CliError(`--stream: no event stream named "${stream}" in tenant "${tenant}" (npm run streams -- list)`);
      printIssued('created', await createToken(store, { grantor: 'root', tenant, name: required(command, '--name'), scopes, lifetimeMs: optionalDuration(command, '--expires-in'), stream }, by));
      return;
    }
    case 'list': {
      const tokens = await listTokens(store, command.options.has('--tenant') ? tenant : undefined);
      process.stdout.write(command.options.has('--json') ? `${JSON.stringify(tokens, null, 2)}\n` : tokens.length === 0 ? 'no tokens\n' : `${table(tokens)}\n`);
      return;
    }
    case 'revoke': {
      const name = required(command, '--name');
      const count = await revokeToken(store, tenant, name, by);
      process.stdout.write(count === 0 ? `"${name}" in tenant "${tenant}" was already revoked\n` : `revoked "${name}" in tenant "${tenant}" (${count} token${count === 1 ? '' : 's'})\n`);
      return;
    }
    default: {
      const graceMs = optionalDuration(command, '--grace');
      const issued = await rotateToken(store, tenant, required(command, '--name'), { grantor: 'root', graceMs, lifetimeMs: optionalDuration(command, '--expires-in') }, by);
      printIssued(graceMs ? `rotated (the old token keeps working for ${command.options.get('--grace')})` : 'rotated (the old token no longer works)', issued);
    }
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const command = parseArgs(argv);
  if (command === 'help') {
    console.log(USAGE);
    return 0;
  }
  const config = loadConfig();
  const say = (line: string) => process.stderr.write(`[tokens] ${line}\n`);
  const database = await openDatabase(config, say);
  try {
    const storage = await connect(database.uri);
    try {
      await execute(command, storage, config.defaultTenant);
    } finally {
      await storage.close().catch(() => undefined);
    }
  } finally {
    await database.stop?.();
  }
  return 0;
}

runCli('tokens', main, [TokenAdminError]);
