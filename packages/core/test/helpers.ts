import type { GoToAuth, GoToAuthOptions } from '@goto-auth/core';
import type { GoToEmulator } from '@goto-auth/emulator';
import fc from 'fast-check';
// By path, not as a dependency: test-support depends on core, and a dependency back would be
// a cycle in the build graph.
import { auth as testAuth } from '../../../tools/test-support/src/index.ts';

export {
  authNoFloor,
  emulator,
  ManualClock,
  me,
  NO_TIMERS,
  type Recorded,
  recorder,
  rejection,
  serve,
  settle,
  until,
} from '../../../tools/test-support/src/index.ts';

/** An auth object for the emulator, with quick retries. */
export function auth(emu: GoToEmulator, options: Partial<GoToAuthOptions> = {}): GoToAuth {
  return testAuth(emu, { retry: { baseDelay: 10, maxDelay: 200 }, ...options });
}

/**
 * `n` property runs, or fewer under mutation testing, whose setup lowers fast-check's global
 * `numRuns` (an explicit `numRuns` would override it).
 */
export function propertyRuns(n: number): number {
  return Math.min(n, fc.readConfigureGlobal().numRuns ?? n);
}
