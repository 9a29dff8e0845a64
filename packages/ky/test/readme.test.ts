import { createGoToAuth, createGoToOAuth } from '@goto-auth/core';
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

it('runs the README per-user usage against the emulator', async () => {
  const emu = await emulator({
    users: [{ userId: 'ann', password: 'pw-ann', email: 'ann@example.com' }],
  });
  stubGoToEnv(emu);
  vi.stubEnv('GOTO_CLIENT_SECRET', EMULATOR_DEFAULTS.clientSecret);
  vi.stubEnv('GOTO_REDIRECT_URI', 'http://127.0.0.1:3000/auth/callback');
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});

  // --- README per-user usage (the imports are above) ---
  const oauth = createGoToOAuth({
    clientId: process.env.GOTO_CLIENT_ID ?? '',
    clientSecret: process.env.GOTO_CLIENT_SECRET ?? '',
    redirectUri: process.env.GOTO_REDIRECT_URI ?? '',
    baseUrl: process.env.GOTO_BASE_URL, // optional: https://api.getgo.com by default
  });
  // --- (the README leaves the sign-in to the app: consent at the emulator, then the callback) ---
  const { url, state } = oauth.authorizationUrl({ params: { auto: 'approve', login_hint: 'ann' } });
  const callback = (await fetch(url, { redirect: 'manual' })).headers.get('location') ?? '';
  const { principal } = await oauth.handleCallback(callback, { state });
  // --- README per-user usage, continued ---
  // `principal`: what `oauth.handleCallback()` returned when this user signed in.
  const asUser = goToKy(oauth.forPrincipal(principal));

  const me = await asUser.get('identity/v1/Users/me').json<{ userName: string }>();
  console.log(me.userName); // the user, not the app
  await oauth.close(); // on shutdown
  // --- end of README per-user usage ---

  expect(log).toHaveBeenCalledWith('ann@example.com');
  expect(emu.counters.authorizationCodeGrants).toBe(1);
  expect(emu.counters.identityCalls).toBe(1);
});
