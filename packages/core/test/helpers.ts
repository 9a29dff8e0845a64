import type { GoToAuth, GoToAuthOptions } from '@goto-auth/core';
import type { GoToEmulator } from '@goto-auth/emulator';
import { auth as testAuth } from '@goto-auth/test-support';

export { emulator, ManualClock, me, settle, until } from '@goto-auth/test-support';

/** An auth object for the emulator, with quick retries. */
export function auth(emu: GoToEmulator, options: Partial<GoToAuthOptions> = {}): GoToAuth {
  return testAuth(emu, { retry: { baseDelay: 10, maxDelay: 200 }, ...options });
}
