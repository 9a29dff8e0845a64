import type { GoToAuth, GoToAuthOptions } from '@goto-auth/core';
import type { GoToEmulator } from '@goto-auth/emulator';
import { auth as testAuth } from '@goto-auth/test-support';

export {
  emulator,
  grants,
  json,
  type Recorded,
  recorder as server,
} from '@goto-auth/test-support';

export function auth(emu: GoToEmulator, options: Partial<GoToAuthOptions> = {}): GoToAuth {
  // The 5 s floor between grants after rejections would only slow these tests down.
  return testAuth(emu, { minGrantInterval: 0, ...options });
}
