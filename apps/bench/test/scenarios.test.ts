/**
 * The production scenarios of RESULTS.md as assertions: each run against the emulator over HTTP
 * (and a real redis-server for the rows with several processes), its counts and outcomes
 * compared with what DESIGN.md sections 4 and 5 require. Times are reported by the bench only.
 */
import { describe, expect, it } from 'vitest';
import { judge, SCENARIOS, type ScenarioId, type ScenarioRun } from '../src/scenarios.ts';

const byId = (id: ScenarioId) => {
  const spec = SCENARIOS.find((s) => s.id === id);
  if (spec === undefined) throw new Error(`unknown scenario ${id}`);
  return spec;
};

const measure = (run: ScenarioRun, name: string) =>
  run.measures.find((m) => m.name.startsWith(name))?.observed;

describe('production scenarios', () => {
  it.each(SCENARIOS)(
    '$label: as DESIGN $rules says',
    async (spec) => {
      const run = await spec.run();
      expect(judge(run).why).toEqual([]);
    },
    60_000,
  );

  it('a retired refresh endpoint: every call served, one password grant per 3 s lifetime over 10 s', async () => {
    const run = await byId('retired-refresh').run();
    expect(measure(run, 'calls answered 200')).toBe(100);
    // Refreshes due at 2.25 s (rounded up to the 100 ms calls): 0, 2.3, 4.6, 6.9, 9.2 s.
    expect(measure(run, 'password grants')).toBe(5);
    expect(measure(run, 'refresh requests')).toBe(4);
    expect(measure(run, 'REFRESH_UNAVAILABLE')).toBe(1);
  });

  it('a changed password: attempts in the hour follow the doubling cool-down, none without a caller', async () => {
    const run = await byId('changed-password').run();
    // 0 s, 30 s, 1.5 min, 3.5 min, 7.5 min, 15.5 min, 31.5 min; the next would be at 61.5 min.
    expect(measure(run, 'password attempts in the hour')).toBe(7);
    expect(measure(run, 'attempts no caller asked for')).toBe(0);
  });
});
