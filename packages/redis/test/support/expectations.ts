import type { GoToEmulator } from '@goto-auth/emulator';
import { expect } from 'vitest';
import type { ScenarioResult } from './scenario.ts';

/**
 * One grant per token lifetime over all processes, every process on the same tokens, and no
 * failure the application would see.
 */
export function expectOneGrantPerLifetime(
  result: ScenarioResult,
  emu: GoToEmulator,
  lifetimes: number,
): void {
  expect(emu.counters.passwordGrants).toBe(1);
  expect(emu.counters.refreshGrants).toBe(lifetimes - 1);
  expect(result.grants.map((g) => g.grantType)).toEqual([
    'password',
    ...Array.from({ length: lifetimes - 1 }, () => 'refresh_token'),
  ]);
  const [first, ...others] = [...result.adopted.values()];
  expect(first).toHaveLength(lifetimes);
  for (const issued of others) expect(issued).toEqual(first);
  // issuedAt is when the grant request left: never before the previous token's refresh moment.
  // (A few ms of slack: timers run on the monotonic clock, issuedAt on the wall clock.)
  for (let i = 1; i < lifetimes; i++) {
    expect((first?.[i] ?? 0) - (first?.[i - 1] ?? 0)).toBeGreaterThanOrEqual(result.periodMs - 5);
  }
  // Every grant was made by a process holding the lock, one grant per lifetime in all.
  let granted = 0;
  for (const worker of result.fleet.workers) {
    let locked = false;
    for (const message of worker.messages) {
      if (message.type === 'lock') locked = true;
      if (message.type !== 'token') continue;
      if (message.source !== 'store') {
        granted++;
        expect(locked).toBe(true);
      }
      locked = false;
    }
  }
  expect(granted).toBe(lifetimes);
  for (const report of result.reports.values()) {
    expect(report.errors).toEqual([]);
    expect(report.failures).toBe(0);
    expect(report.tokens).toHaveLength(lifetimes);
    expect(report.ok).toBe(report.calls);
  }
}
