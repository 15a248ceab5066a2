import { ScimError } from '../errors/scim-error.js';
import type { Policy } from '../lifecycle/policy/types.js';
import { parseDateTime } from '../scim/date-time.js';
import type { CampaignReviewers, CampaignScope, ReviewDecision } from '../store/contract.js';

/**
 * The bodies of the campaign API, checked before anything is read or written. Every refusal is an
 * invalidValue (400) naming the field; references (a group, reviewers) are checked by the service.
 */

type Body = Record<string, unknown>;

export interface NewCampaign {
  name: string;
  scope: CampaignScope;
  reviewers: CampaignReviewers;
  dueAt: Date;
  undecided: ReviewDecision;
}

export interface DecisionInput {
  decision: ReviewDecision;
  comment: string | undefined;
  /** Policy grants only: when the exception a revocation records stops applying. */
  exceptionExpiresAt: Date | undefined;
}

const MAX_NAME = 200;
const MAX_COMMENT = 2000;
const MAX_REVIEWERS = 100;

function objectOf(value: unknown, what: string): Body {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ScimError('invalidValue', `${what} must be a JSON object`);
  return value as Body;
}

function onlyKeys(body: Body, allowed: readonly string[], what: string): void {
  const unknown = Object.keys(body).find((key) => !allowed.includes(key));
  if (unknown !== undefined) throw new ScimError('invalidValue', `${what}: unknown member "${unknown}" (allowed: ${allowed.join(', ')})`);
}

function text(body: Body, key: string, max: number, what = `"${key}"`): string {
  const value = body[key];
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) throw new ScimError('invalidValue', `${what} must be a non-empty string of at most ${max} characters`);
  return value;
}

function ids(value: unknown, what: string, required: boolean): string[] {
  if (value === undefined && !required) return [];
  if (!Array.isArray(value) || value.length > MAX_REVIEWERS || value.some((item) => typeof item !== 'string' || item === '') || (required && value.length === 0)) {
    throw new ScimError('invalidValue', `${what} must be ${required ? 'a non-empty' : 'an'} array of at most ${MAX_REVIEWERS} user ids`);
  }
  return [...new Set(value as string[])];
}

function futureDate(value: unknown, what: string, now: Date): Date {
  const date = typeof value === 'string' ? parseDateTime(value) : undefined;
  if (!date) throw new ScimError('invalidValue', `${what} must be an RFC 3339 date-time with a time zone, e.g. 2027-01-31T17:00:00Z`);
  if (date.getTime() <= now.getTime()) throw new ScimError('invalidValue', `${what} must be in the future`);
  return date;
}

function decisionOf(value: unknown, what: string): ReviewDecision {
  if (value !== 'keep' && value !== 'revoke') throw new ScimError('invalidValue', `${what} must be "keep" or "revoke"`);
  return value;
}

function scopeOf(value: unknown, policy: Policy): CampaignScope {
  const body = objectOf(value, '"scope"');
  switch (body['kind']) {
    case 'all':
      onlyKeys(body, ['kind'], '"scope"');
      return { kind: 'all' };
    case 'role': {
      onlyKeys(body, ['kind', 'role'], '"scope"');
      const role = text(body, 'role', 200, '"scope.role"');
      if (!Object.hasOwn(policy.roles, role)) throw new ScimError('invalidValue', `"scope.role": the policy defines no role "${role}"`);
      return { kind: 'role', role };
    }
    case 'group':
      onlyKeys(body, ['kind', 'groupId'], '"scope"');
      return { kind: 'group', groupId: text(body, 'groupId', 200, '"scope.groupId"') };
    case 'department':
      onlyKeys(body, ['kind', 'department'], '"scope"');
      return { kind: 'department', department: text(body, 'department', 200, '"scope.department"') };
    default:
      throw new ScimError('invalidValue', '"scope.kind" must be "all", "role", "group" or "department"');
  }
}

function reviewersOf(value: unknown): CampaignReviewers {
  const body = objectOf(value, '"reviewers"');
  if (body['kind'] === 'manager') {
    onlyKeys(body, ['kind', 'fallback'], '"reviewers"');
    return { kind: 'manager', fallback: ids(body['fallback'], '"reviewers.fallback"', false) };
  }
  if (body['kind'] === 'named') {
    onlyKeys(body, ['kind', 'users'], '"reviewers"');
    return { kind: 'named', users: ids(body['users'], '"reviewers.users"', true) };
  }
  throw new ScimError('invalidValue', '"reviewers.kind" must be "manager" or "named"');
}

export function parseNewCampaign(value: unknown, policy: Policy, now: Date): NewCampaign {
  const body = objectOf(value ?? {}, 'The body');
  onlyKeys(body, ['name', 'scope', 'reviewers', 'dueAt', 'undecided'], 'The body');
  return {
    name: text(body, 'name', MAX_NAME),
    scope: scopeOf(body['scope'], policy),
    reviewers: reviewersOf(body['reviewers']),
    dueAt: futureDate(body['dueAt'], '"dueAt"', now),
    undecided: body['undecided'] === undefined ? 'keep' : decisionOf(body['undecided'], '"undecided"'),
  };
}

/** A revocation needs a comment: it is the reason the exception or the audit trail records. */
export function parseDecision(value: unknown, now: Date): DecisionInput {
  const body = objectOf(value ?? {}, 'The body');
  onlyKeys(body, ['decision', 'comment', 'exceptionExpiresAt'], 'The body');
  const decision = decisionOf(body['decision'], '"decision"');
  const comment = body['comment'] === undefined && decision === 'keep' ? undefined : text(body, 'comment', MAX_COMMENT);
  const exceptionExpiresAt = body['exceptionExpiresAt'] === undefined ? undefined : futureDate(body['exceptionExpiresAt'], '"exceptionExpiresAt"', now);
  if (exceptionExpiresAt && decision !== 'revoke') throw new ScimError('invalidValue', '"exceptionExpiresAt" applies to a revocation only');
  return { decision, comment, exceptionExpiresAt };
}
