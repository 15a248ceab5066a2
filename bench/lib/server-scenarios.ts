import { randomBytes } from 'node:crypto';
import type { BenchDatabase } from './database.js';
import { note } from './progress.js';
import { fmt, table } from './report.js';
import { scimClient } from './scim-client.js';
import { createSeeder } from './seed.js';
import { startServerProcess, type ServerProcess } from './server-process.js';

/**
 * Benchmarks that compare whole requests by time and peak memory: each scenario runs in a fresh
 * server process (so its peak RSS is its own), the scenarios in alternation, `rounds` times.
 */

export interface SeededServers {
  /** A SCIM token (scim:read, scim:write) and the ADMIN_TOKEN (audit:read, tokens:manage) of every server started. */
  token: string;
  adminToken: string;
  start(nodeArgs?: string[]): Promise<ServerProcess>;
}

/** `users` users seeded into the database (through a first server), and how to start servers on it. */
export async function seededServers(database: BenchDatabase, users: number): Promise<SeededServers> {
  const token = randomBytes(24).toString('hex');
  const adminToken = randomBytes(24).toString('hex');
  const start = (nodeArgs: string[] = []) => startServerProcess({ MONGODB_URI: database.uri, SCIM_BEARER_TOKEN: token, ADMIN_TOKEN: adminToken }, undefined, nodeArgs);
  const setup = await start();
  try {
    const seeder = await createSeeder(database.client.db(database.dbName), scimClient(setup.base, token), 'default');
    await seeder.users(1, users);
  } finally {
    await setup.stop();
  }
  note(`seeded ${users.toLocaleString('en-US')} users`);
  return { token, adminToken, start };
}

/** [key for --scenarios, name in the report, the work (returns what came back), node options]. */
export type ServerScenario = [key: string, name: string, work: (server: ServerProcess) => Promise<string>, nodeArgs?: string[]];

export interface ScenarioRun {
  scenario: string;
  round: number;
  seconds: number;
  idleMiB: number;
  peakMiB: number;
  detail: string;
}

export async function runServerScenarios(start: (nodeArgs: string[]) => Promise<ServerProcess>, scenarios: readonly ServerScenario[], keys: readonly string[], rounds: number): Promise<ScenarioRun[]> {
  const chosen = scenarios.filter(([key]) => keys.includes(key));
  const runs: ScenarioRun[] = [];
  for (let round = 1; round <= rounds; round += 1) {
    for (const [, scenario, work, nodeArgs = []] of chosen) {
      const server = await start(nodeArgs);
      try {
        const idleMiB = await server.peakRssMiB();
        const started = performance.now();
        const detail = await work(server);
        const run = { scenario, round, seconds: (performance.now() - started) / 1000, idleMiB, peakMiB: await server.peakRssMiB(), detail };
        note(`round ${round}, ${scenario}: ${fmt(run.seconds)} s, peak RSS ${fmt(run.peakMiB)} MiB; ${detail}`);
        runs.push(run);
      } finally {
        await server.stop();
      }
    }
  }
  return runs;
}

/** The results table, then each scenario's time as a ratio of the baseline scenario's in the same round. */
export function scenarioReport(runs: readonly ScenarioRun[], rounds: number, baseline: { name: string; label: string }, targets: { ratio: number; peakMiB: number }): string[] {
  const lines = [`A fresh server process per scenario (node dist/src/server.js), ${rounds} rounds in alternation; peak RSS is VmHWM from /proc/<pid>/status.`, ''];
  lines.push(...table(['scenario', 'round', 'seconds', 'RSS after start MiB', `peak RSS MiB (target ≤ ${targets.peakMiB})`, 'what came back'], runs.map((run) => [run.scenario, run.round, fmt(run.seconds), fmt(run.idleMiB), fmt(run.peakMiB), run.detail])), '');
  lines.push(`Ratio to the ${baseline.label} of the same round (target ≤ ${targets.ratio}×):`, '');
  const ratioRows: (string | number)[][] = [];
  for (const run of runs.filter((candidate) => candidate.scenario !== baseline.name)) {
    const base = runs.find((candidate) => candidate.scenario === baseline.name && candidate.round === run.round);
    const ratio = base ? run.seconds / base.seconds : undefined;
    const timeTarget = ratio === undefined ? `no ${baseline.label} run` : ratio <= targets.ratio ? 'met' : 'not met';
    ratioRows.push([run.scenario, run.round, ratio === undefined ? '—' : `${fmt(ratio, 2)}×`, timeTarget, run.peakMiB <= targets.peakMiB ? 'met' : 'not met']);
  }
  lines.push(...table(['scenario', 'round', `time / ${baseline.label}`, 'time target', 'RSS target'], ratioRows));
  return lines;
}
