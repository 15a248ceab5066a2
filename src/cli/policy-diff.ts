// `npm run policy -- diff <draft.json>`: the policy what-if (services/policy-what-if.ts) for the
// terminal: a table of roles with who would gain and lose them, then per changed role the rules
// responsible and the first users; --format json prints the admin API's report, csv every change.
import { loadPolicy, PolicyError } from '../lifecycle/policy/load.js';
import type { Policy } from '../lifecycle/policy/types.js';
import { describePermissionChange, describeResponsible, type WhatIfReport, type WhatIfSide } from '../services/policy-what-if.js';
import { UsageError } from './run.js';

/** The draft, read and validated as POLICY_FILE is; a bad draft is a wrong argument (exit 2), one line per problem. */
export function loadDraft(file: string): Policy {
  try {
    return loadPolicy(file);
  } catch (error) {
    if (error instanceof PolicyError) throw new UsageError(error.problems.join('\n'));
    throw error;
  }
}

const number = (n: number) => n.toLocaleString('en-US');
const plural = (n: number, one: string, many = `${one}s`) => `${number(n)} ${n === 1 ? one : many}`;

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, column) => (column === 0 || column === row.length - 1 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ').trimEnd());
}

function sideLines(role: string, verb: 'gain' | 'lose', mark: string, side: WhatIfSide, reason: string): string[] {
  if (side.count === 0) return [];
  const users = side.users.map((user) => `  ${mark} ${user.userName} (${user.userId})`);
  const more = side.truncated ? [`  … and ${number(side.count - side.users.length)} more (--limit, or --format csv for every change)`] : [];
  return [`${role}: ${plural(side.count, 'user')} would ${verb} it; ${reason} ${describeResponsible(side)}`, ...users, ...more];
}

/** The report as the terminal shows it. */
export function formatReport(report: WhatIfReport, draftFile: string): string {
  const { summary } = report;
  const lines = [
    `draft ${draftFile} (policy ${report.draftFingerprint.slice(0, 12)}) against the ${plural(summary.users, 'user')} of tenant "${report.tenant}" (current policy ${report.currentFingerprint.slice(0, 12)}):`,
    `${plural(summary.usersAffected, 'user')} would change: ${number(summary.usersGaining)} would gain a role (${number(summary.gains)} grants), ${number(summary.usersLosing)} would lose one (${number(summary.losses)} grants).`,
    '',
    ...table([['ROLE', 'HOLDERS NOW', 'DRAFT', 'GAIN', 'LOSE', 'PERMISSIONS'], ...report.roles.map((role) => [role.role, number(role.holders.current), number(role.holders.draft), role.gained.count ? `+${number(role.gained.count)}` : '0', role.lost.count ? `-${number(role.lost.count)}` : '0', describePermissionChange(role).replace(/^unchanged$/, '')])]),
  ];
  for (const role of report.roles) {
    const details = [...sideLines(role.role, 'gain', '+', role.gained, 'granted by'), ...sideLines(role.role, 'lose', '-', role.lost, 'granted now by')];
    if (details.length > 0) lines.push('', ...details);
  }
  const unmatched = report.draftRules.filter((rule) => rule.users === 0).map((rule) => rule.rule);
  if (unmatched.length > 0) lines.push('', `draft rules that match nobody: ${unmatched.join(', ')}`);
  return lines.join('\n');
}
