import { createGoToAuth } from '@goto-auth/core';
import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import { stubGoToEnv } from '@goto-auth/test-support';
import { afterEach, expect, it, vi } from 'vitest';
import { goToKy } from '../src/index.js';
import { emulator } from './helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

it('runs the README usage against the emulator', async () => {
  const emu = await emulator();
  stubGoToEnv(emu);
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});

  // --- README usage (the imports are above) ---
  const auth = createGoToAuth({
    clientId: process.env.GOTO_CLIENT_ID ?? '',
    userId: process.env.GOTO_USER_ID ?? '',
    password: process.env.GOTO_PASSWORD ?? '',
    baseUrl: process.env.GOTO_BASE_URL, // optional: https://api.getgo.com by default
  });
  const goto = goToKy(auth); // ky.create({ prefix: auth.baseUrl, fetch: goToFetch(auth) })

  const me = await goto.get('admin/rest/v1/me').json<{ organizerKey: string }>();
  console.log(me.organizerKey);
  await auth.close(); // on shutdown
  // --- end of README usage ---

  expect(log).toHaveBeenCalledWith(EMULATOR_DEFAULTS.organizerKey);
  expect(emu.counters.passwordGrants).toBe(1);
  expect(emu.counters.meCalls).toBe(1);
});
