import { markdownTable, type Section } from './lib/report.ts';
import {
  type CellResult,
  describeSaw,
  FAULTS,
  MATRIX,
  MOMENTS,
  type MomentId,
  runMatrix,
} from './reliability.ts';
import { productionScenarios } from './scenarios-report.ts';

const gap = (ms: number | undefined) => {
  if (ms === undefined) return '—';
  return ms >= 60_000 ? `${(ms / 60_000).toFixed(0)} min` : `${Math.round(ms)} ms`;
};

function bounds(r: CellResult): string {
  const parts: string[] = [];
  if (r.expected.firstGapMs !== undefined) parts.push(`first ≥ ${r.expected.firstGapMs} ms`);
  if (r.expected.retryGapMs !== undefined) parts.push(`retries ≥ ${r.expected.retryGapMs} ms`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

function table(results: readonly CellResult[]): string {
  const head = [
    'fault',
    'moment',
    'caller saw',
    'token requests',
    'still-valid token kept serving',
    'gap before first / shortest between',
    'expected (DESIGN rule)',
    'matches?',
  ];
  const rows = results.map((r) => [
    r.fault.label,
    r.moment.label,
    describeSaw(r.observed.saw),
    String(r.observed.tokenRequests),
    r.observed.keptServing,
    `${gap(r.observed.firstGapMs)} / ${gap(r.observed.retryGapMs)}`,
    `${describeSaw(r.expected.saw)}, ${r.expected.tokenRequests} req., kept ` +
      `${r.expected.keptServing}${bounds(r)}: ${r.expected.why} (${r.expected.rules})`,
    r.match ? 'yes' : `**NO**: ${r.why.join('; ')}`,
  ]);
  return markdownTable(head, rows);
}

/** Figure 9: the fault matrix, run and rendered. */
export async function reliability(options: { moments?: readonly MomentId[] }): Promise<Section> {
  const results = await runMatrix(options);
  const scenarios = await productionScenarios();
  const matched = results.filter((r) => r.match).length;
  const faults = FAULTS.map((f) => `- **${f.label}**: ${f.description}.`).join('\n');
  const moments = MOMENTS.filter((m) => options.moments?.includes(m.id) ?? true)
    .map((m) => `- **${m.label}**: ${m.description}.`)
    .join('\n');
  return {
    id: 9,
    title: 'Reliability: faults × moments against the emulator',
    how:
      'Each cell: a fresh emulator and `createGoToAuth` (timeout ' +
      `${MATRIX.timeout} ms, retry limit ${MATRIX.retry.limit} with base delay ` +
      `${MATRIX.retry.baseDelay} ms, floor between grants after a rejection ` +
      `${MATRIX.minGrantInterval} ms, a jumpable clock so a one-hour token reaches its refresh ` +
      'in no time). The fault holds from the moment on. The caller does what an adapter does: ' +
      '`getToken()`, `GET /admin/rest/v1/me`, and on 403 InvalidToken `invalidate()` plus one ' +
      'retry. Recorded: what the caller saw, the requests that reached the token endpoints after ' +
      'the moment, whether `getToken()` still returns the still-valid T0 afterwards, and the gaps ' +
      'between token requests. The expected outcome of each cell is data written from DESIGN.md ' +
      '(`EXPECTED` in `src/reliability.ts`); `test/reliability.test.ts` asserts the same cells.',
    peers: [],
    rows: [
      {
        figure: 'cells whose outcome matches DESIGN',
        ours: `${matched} / ${results.length}`,
        target: 'all',
        met: matched === results.length,
        kind: 'correctness',
      },
      scenarios.row,
    ],
    notes: [`Faults:\n\n${faults}`, `Moments:\n\n${moments}`],
    extra: `${table(results)}\n\n${scenarios.markdown}`,
  };
}
