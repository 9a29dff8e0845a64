import type { EmulatorClock } from './types.js';

function assertFinite(ms: number, what: string): void {
  if (!Number.isFinite(ms)) throw new RangeError(`EmulatorClock.${what}: expected a finite number`);
}

/**
 * Follows the wall clock, so a long-running emulator (the bin, a demo) expires tokens in real
 * time, while tests jump ahead with `advance()`.
 */
export function createClock(now?: () => number): EmulatorClock {
  if (now) {
    const fail = (what: string): never => {
      throw new Error(
        `EmulatorClock.${what}: the emulator was started with options.now; move that clock instead`,
      );
    };
    return { now, advance: () => fail('advance'), set: () => fail('set') };
  }
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance(ms) {
      assertFinite(ms, 'advance');
      offset += ms;
    },
    set(ms) {
      assertFinite(ms, 'set');
      offset = ms - Date.now();
    },
  };
}
