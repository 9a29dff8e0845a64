import { createGoToAuth, type GoToAuth, type GoToAuthOptions } from '@goto-auth/core';
import type { GoToEmulator } from '@goto-auth/emulator';
import fc from 'fast-check';
// By path, not as a dependency: test-support depends on core, and a dependency back would be
// a cycle in the build graph.
import { type ManualClock, auth as testAuth } from '../../../tools/test-support/src/index.ts';

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

/** The credentials of the stub-fetch tests: any values do, no server checks them. */
export const STUB_CREDENTIALS = {
  clientId: 'client',
  clientSecret: 'secret',
  userId: 'user',
  password: 'password',
} as const;

/** Stub credentials on a manual clock: its timers, no retries, no floor between grants. */
export function onManualClock(clock: ManualClock) {
  return {
    ...STUB_CREDENTIALS,
    now: clock.now,
    timers: clock,
    retry: false,
    minGrantInterval: 0,
  } as const;
}

/** An auth object whose stub fetch mints `t1`, `t2`… at each grant. */
export function countingTokens(): GoToAuth {
  let n = 0;
  return createGoToAuth({
    clientId: 'c',
    userId: 'u',
    password: 'p',
    logger: false,
    minGrantInterval: 0,
    fetch: (async () =>
      Response.json({ access_token: `t${++n}`, expires_in: 3600 })) as unknown as typeof fetch,
  });
}

/** An auth object whose stub fetch refuses the password (`invalid_grant`), without retries or logs. */
export function refusedCredentials(): GoToAuth {
  return createGoToAuth({
    ...STUB_CREDENTIALS,
    logger: false,
    retry: false,
    fetch: (async () =>
      Response.json({ error: 'invalid_grant' }, { status: 400 })) as unknown as typeof fetch,
  });
}
