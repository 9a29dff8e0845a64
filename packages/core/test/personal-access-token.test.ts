/**
 * A personal access token is one credential, like Direct Login: the same cache, single flight,
 * store and refresh, minted with `grant_type=personal_access_token`.
 */
import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import { describe, expect, it } from 'vitest';
import { onCleanup, rejection } from '../../../tools/test-support/src/index.ts';
import {
  createGoToAuth,
  isGoToAuthError,
  MemoryTokenStore,
  type TokenStore,
} from '../src/index.js';
import { emulator, ManualClock, me, NO_TIMERS } from './helpers.js';

function patAuth(url: string, options: Record<string, unknown> = {}) {
  const auth = createGoToAuth({
    clientId: EMULATOR_DEFAULTS.clientId,
    clientSecret: EMULATOR_DEFAULTS.clientSecret,
    personalAccessToken: EMULATOR_DEFAULTS.personalAccessToken,
    baseUrl: url,
    logger: false,
    ...options,
  });
  onCleanup(() => auth.close());
  return auth;
}

describe('personal access tokens', () => {
  it('mint one token for many callers, then refresh it with its refresh token', async () => {
    const clock = new ManualClock();
    const emu = await emulator({ now: clock.now });
    const auth = patAuth(emu.url, { now: clock.now, timers: NO_TIMERS });
    const tokens = await Promise.all(Array.from({ length: 50 }, () => auth.getToken()));
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
    expect(emu.counters.personalAccessTokenGrants).toBe(1);
    expect(emu.requests[0]).toMatchObject({
      path: '/oauth/token',
      grantType: 'personal_access_token',
    });
    expect(await me(emu, tokens[0]?.accessToken ?? '')).toBe(200);

    clock.advance(3_600_000);
    const next = await auth.getToken();
    expect(next.accessToken).not.toBe(tokens[0]?.accessToken);
    expect(emu.counters.personalAccessTokenGrants + emu.counters.refreshGrants).toBe(2);
    expect(await me(emu, next.accessToken)).toBe(200);
  });

  it('is refused as INVALID_CREDENTIALS, never retried, and never shown', async () => {
    const emu = await emulator();
    const lines: string[] = [];
    const auth = patAuth(emu.url, {
      personalAccessToken: 'pat-that-was-revoked',
      logger: {
        error: (line: string) => lines.push(line),
        warn: (line: string) => lines.push(line),
      },
    });
    const error = await rejection(auth.getToken());
    expect(isGoToAuthError(error) && error.code).toBe('INVALID_CREDENTIALS');
    expect(error.message).toContain('personal access token');
    expect(emu.counters.requests).toBe(1);
    for (const text of [
      error.message,
      JSON.stringify(auth),
      JSON.stringify(auth.status()),
      ...lines,
    ]) {
      expect(text).not.toContain('pat-that-was-revoked');
    }
  });

  it('keeps the token out of the store key and shares the token through the store', async () => {
    const emu = await emulator();
    const store = new MemoryTokenStore();
    const keys: string[] = [];
    const spying: TokenStore = {
      get: (key) => {
        keys.push(key);
        return store.get(key);
      },
      set: (key, token, ttl, expected) => store.set(key, token, ttl, expected),
      delete: (key) => store.delete(key),
      lock: (key, ttl) => store.lock(key, ttl),
    };
    const one = patAuth(emu.url, { store: spying });
    const two = patAuth(emu.url, { store: spying });
    const [a, b] = [await one.getToken(), await two.getToken()];
    expect(a.accessToken).toBe(b.accessToken);
    expect(emu.counters.personalAccessTokenGrants).toBe(1);
    expect(keys.every((key) => /^[0-9a-f]{64}$/.test(key))).toBe(true);
  });

  it('refuses unusable combinations up front', () => {
    const make = (options: Record<string, unknown>) => () =>
      createGoToAuth({ clientId: 'c', ...options } as never);
    expect(make({ personalAccessToken: 'p' })).toThrow(/needs "clientSecret"/);
    expect(
      make({ personalAccessToken: 'p', clientSecret: 's', userId: 'u', password: 'x' }),
    ).toThrow(/either "userId" and "password", or "personalAccessToken"/);
    expect(make({ clientSecret: 's' })).toThrow(/"userId" is required/);
  });
});
