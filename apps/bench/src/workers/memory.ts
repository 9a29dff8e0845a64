/**
 * Runs refresh cycles on a virtual clock (no waiting) with a fake GoTo `fetch`, and reports the
 * heap after GC and the live timers. Needs `--expose-gc`.
 */
import { createGoToAuth } from '@goto-auth/core';
import { VirtualClock } from '../lib/clock.ts';
import { CREDENTIALS, fakeGoToFetch } from '../lib/goto.ts';
import { heapAfterGc } from '../lib/heap.ts';

export interface MemoryResult {
  cycles: number;
  grants: number;
  /** heapUsed after GC: after the warm-up, halfway, at the end (bytes). */
  heap: number[];
  timersAtEnd: number;
  timersAfterClose: number;
  sameTokenTwice: boolean;
}

const cycles = Number(process.argv[2] ?? 10_000);

async function main(): Promise<void> {
  const clock = new VirtualClock();
  let grants = 0;
  const fakeFetch = fakeGoToFetch(3600);
  const auth = createGoToAuth({
    ...CREDENTIALS,
    fetch: (input, init) => {
      grants++;
      return fakeFetch(input, init);
    },
    now: clock.now,
    timers: clock,
    logger: false,
  });
  let previous = (await auth.getToken()).accessToken;
  let sameTokenTwice = false;
  const cycle = async () => {
    const { refreshAt } = auth.status();
    if (refreshAt === undefined) throw new Error('no refresh scheduled');
    // The refresh timer fires at refreshAt; a caller arriving then joins that refresh.
    clock.advanceTo(refreshAt);
    const { accessToken } = await auth.getToken();
    if (accessToken === previous) sameTokenTwice = true;
    previous = accessToken;
  };
  const warmup = Math.min(1000, cycles);
  for (let i = 0; i < warmup; i++) await cycle();
  const heap = [await heapAfterGc()];
  for (let i = 0; i < cycles; i++) {
    await cycle();
    if (i === Math.floor(cycles / 2)) heap.push(await heapAfterGc());
  }
  heap.push(await heapAfterGc());
  const timersAtEnd = clock.pending;
  await auth.close();
  const result: MemoryResult = {
    cycles,
    grants: grants - 1 - warmup,
    heap,
    timersAtEnd,
    timersAfterClose: clock.pending,
    sameTokenTwice,
  };
  process.send?.(result, () => process.exit(0));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
