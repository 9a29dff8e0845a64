/**
 * The shared-token scenario: N worker processes, one Redis (or Cluster), one emulator, several
 * token lifetimes. Returns what happened; the tests assert on it.
 */
import type { GoToEmulator } from '@goto-auth/emulator';
import type { WorkerConfig, WorkerReport } from './protocol.ts';
import { onCleanup } from './setup.ts';
import { Fleet, until, type Worker } from './workers.ts';

export interface ScenarioOptions {
  emulator: GoToEmulator;
  /** The emulator's accessTokenTtlSeconds. */
  ttlSeconds: number;
  workers: number;
  /** Tokens to go through: one password grant, then `lifetimes - 1` scheduled refreshes. */
  lifetimes: number;
  config: Omit<WorkerConfig, 'emulatorUrl'>;
  /** Called once the first token is in use by every worker (to inject faults, kill…). */
  during?: (fleet: Fleet) => Promise<void>;
}

export interface ScenarioResult {
  fleet: Fleet;
  reports: Map<number, WorkerReport>;
  /** Successful token grants, in order, as the emulator logged them. */
  grants: { at: number; grantType: string | undefined }[];
  /** Lock acquisitions over all workers. */
  locks: number;
  /** Per surviving worker: the issuedAt of every token it adopted. */
  adopted: Map<number, number[]>;
  /** The refresh period: lifetime minus the margin. */
  periodMs: number;
}

/** Worker settings for one redis-server, with short lifetimes; `overrides` win. */
export function singleRedisConfig(
  url: string,
  overrides: Partial<WorkerConfig> = {},
): Omit<WorkerConfig, 'emulatorUrl'> {
  return {
    redis: { mode: 'single', url },
    refreshMargin: 1000,
    lockTtl: 2000,
    lockPollInterval: 50,
    callInterval: 20,
    ...overrides,
  };
}

export function tokenEvents(worker: Worker) {
  return worker.messages.filter((m) => m.type === 'token');
}

export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const { emulator: emu, lifetimes } = options;
  const lifetimeMs = options.ttlSeconds * 1000;
  const periodMs = lifetimeMs - Math.min(options.config.refreshMargin, lifetimeMs / 4);
  const fleet = new Fleet(options.workers, { ...options.config, emulatorUrl: emu.url });
  onCleanup(() => fleet.kill());

  await fleet.go();
  await until(
    () => fleet.workers.every((w) => tokenEvents(w).length >= 1),
    10_000,
    'every worker to get its first token',
  );
  await options.during?.(fleet);
  // Run until every live worker has adopted the last token, then use it for a third of a period:
  // long enough to see a second grant if there were one, and well before the next refresh.
  await until(
    () => fleet.alive().every((w) => tokenEvents(w).length >= lifetimes),
    lifetimes * periodMs + 20_000,
    `every worker to adopt token ${lifetimes}`,
  );
  await new Promise((resolve) => setTimeout(resolve, periodMs / 3));
  const reports = await fleet.stop();

  const adopted = new Map<number, number[]>();
  for (const worker of fleet.workers) {
    if (reports.has(worker.index)) {
      adopted.set(
        worker.index,
        tokenEvents(worker).map((e) => e.issuedAt),
      );
    }
  }
  return {
    fleet,
    reports,
    grants: emu.requests
      .filter((r) => r.path.startsWith('/oauth/') && r.status === 200)
      .map((r) => ({ at: r.at, grantType: r.grantType })),
    locks: fleet.workers.reduce(
      (sum, w) => sum + w.messages.filter((m) => m.type === 'lock').length,
      0,
    ),
    adopted,
    periodMs,
  };
}

/** One line of numbers for the test log. */
export function summarize(label: string, result: ScenarioResult, emu: GoToEmulator): string {
  let calls = 0;
  let rejected = 0;
  let recovered = 0;
  let failures = 0;
  for (const report of result.reports.values()) {
    calls += report.calls;
    rejected += report.rejected;
    recovered += report.recovered;
    failures += report.failures;
  }
  const issued = [...result.adopted.values()][0] ?? [];
  const gaps = issued.slice(1).map((at, i) => at - (issued[i] ?? 0));
  return `[${label}] workers=${result.reports.size} grants: password=${emu.counters.passwordGrants} refresh=${emu.counters.refreshGrants} (ms between issuedAt: ${gaps.join(', ')}; refresh period ${result.periodMs}) locks=${result.locks} | /me calls=${calls} 403 seen by workers=${rejected} recovered by retry=${recovered} app failures=${failures} | emulator meCalls=${emu.counters.meCalls} meRejected=${emu.counters.meRejected} tokenErrors=${emu.counters.tokenErrors}`;
}
