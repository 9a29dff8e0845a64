import { startWorker } from './lib/fork.ts';
import { fmtInt } from './lib/format.ts';
import type { Section } from './lib/report.ts';
import type { MemoryResult } from './workers/memory.ts';

/**
 * Figure 7: heap growth and live timers over many refresh cycles, in a child process run with
 * `--expose-gc`, on a virtual clock and a fake GoTo `fetch` (so 10,000 cycles take seconds).
 */
export async function memory(cycles: number): Promise<Section> {
  const worker = await startWorker<MemoryResult>('memory', [String(cycles)], ['--expose-gc']);
  worker.stop();
  const r = worker.ready;
  const [base = 0, half = 0, end = 0] = r.heap;
  const growth = end - base;
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  return {
    id: 7,
    title: 'Memory: refresh cycles on a fake clock',
    how:
      `A child process (\`node --expose-gc\`): \`createGoToAuth\` with \`now\` and \`timers\` on a ` +
      `virtual clock and a \`fetch\` answering GoTo-shaped tokens (refresh grants: a client ` +
      `secret is set). Each cycle moves the clock to the scheduled refresh (the timer fires) and ` +
      `awaits \`getToken()\`. Heap = \`heapUsed\` after repeated \`gc()\`, after 1,000 warm-up ` +
      `cycles and after ${fmtInt(cycles)} more.`,
    peers: [],
    rows: [
      {
        figure: `heap growth over ${fmtInt(cycles)} refresh cycles (after GC)`,
        ours: `${growth >= 0 ? '+' : ''}${kb(growth)} (${r.heap.map(kb).join(' → ')})`,
        target: '< 1 MB',
        met: growth < 1_000_000,
        kind: 'correctness',
      },
      {
        figure: 'live timers at the end',
        ours: String(r.timersAtEnd),
        target: '1',
        met: r.timersAtEnd === 1,
        kind: 'correctness',
      },
      {
        figure: 'live timers after close()',
        ours: String(r.timersAfterClose),
        target: '0',
        met: r.timersAfterClose === 0,
        kind: 'correctness',
      },
      {
        figure: 'grants over the cycles',
        ours: fmtInt(r.grants),
        target: `${fmtInt(cycles)} (one per cycle)`,
        met: r.grants === cycles && !r.sameTokenTwice,
        kind: 'correctness',
      },
    ],
    notes: [
      `Growth over the first half of the cycles: ${kb(half - base)}; over the second half: ` +
        `${kb(end - half)}. Memory that grows with the number of refreshes would show in both ` +
        'halves alike; a one-off (compiled code, caches filled once) shows in the first only.',
    ],
  };
}
