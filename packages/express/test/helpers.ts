import type { GoToAuth, GoToAuthOptions } from '@goto-auth/core';
import type { GoToEmulator } from '@goto-auth/emulator';
import { auth as testAuth } from '@goto-auth/test-support';

export { emulator, onCleanup, serve, until } from '@goto-auth/test-support';

export function auth(emu: GoToEmulator, options: Partial<GoToAuthOptions> = {}): GoToAuth {
  // One attempt per getToken(), so a single injected fault decides the answer.
  return testAuth(emu, { retry: false, ...options });
}
