// The --tenant option of the commands that work on one tenant, checked before any database is opened.
import { checkTenant, TokenAdminError } from '../auth/token-admin.js';
import type { Config } from '../config.js';
import { UsageError, type Arguments, type OptionSpec } from './run.js';

export const TENANT: OptionSpec = { type: 'string', value: '<tenant>', description: 'the tenant (default DEFAULT_TENANT)' };

export function tenantOf(args: Arguments, config: Config): string {
  const tenant = args.string('tenant') ?? config.defaultTenant;
  try {
    return checkTenant(tenant);
  } catch (error) {
    throw new UsageError(`--tenant: ${(error as TokenAdminError).message}`);
  }
}
