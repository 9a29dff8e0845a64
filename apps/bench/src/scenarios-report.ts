import { markdownTable, type Row } from './lib/report.ts';
import { runScenarios, type ScenarioOptions, type ScenarioResult } from './scenarios.ts';

function observed(result: ScenarioResult): string {
  const measures = result.run.measures.map((m) => `${m.name}: ${m.observed}`);
  return [...measures, ...result.run.reported].join('; ');
}

/** The "Production scenarios" table: one row per scenario, expected from DESIGN, observed, ✓/✗. */
export function scenariosTable(results: readonly ScenarioResult[]): string {
  const rows = results.map((r) => [
    r.spec.label,
    r.spec.setup,
    `${r.spec.expected} (DESIGN ${r.spec.rules})`,
    observed(r),
    r.match ? '✓' : `✗ ${r.why.join('; ')}`,
  ]);
  return [
    '### Production scenarios',
    '',
    'The failures a real deployment meets, each run against the emulator over HTTP (in-process ' +
      'auth objects; the rows with two or more processes share a real `redis-server` through ' +
      '`RedisTokenStore`). The expected outcome is written from DESIGN.md (`SCENARIOS` in ' +
      '`src/scenarios.ts`); only counts and outcomes decide ✓ or ✗, times are reported. ' +
      '`test/scenarios.test.ts` asserts the same rows.',
    '',
    markdownTable(['scenario', 'setup', 'expected (DESIGN)', 'observed', '✓/✗'], rows),
  ].join('\n');
}

/** Runs the scenarios: their summary row for the section's table, and the markdown table. */
export async function productionScenarios(
  options: ScenarioOptions = {},
): Promise<{ row: Row; markdown: string }> {
  const results = await runScenarios(options);
  const matched = results.filter((r) => r.match).length;
  return {
    row: {
      figure: 'production scenarios whose outcome matches DESIGN',
      ours: `${matched} / ${results.length}`,
      target: 'all',
      met: matched === results.length,
      kind: 'correctness',
    },
    markdown: scenariosTable(results),
  };
}
