/**
 * The last gaps mutation testing found: each test names the slip it guards against.
 */
import { describe, expect, it } from 'vitest';
import { requestToken } from '../src/grant.js';
import {
  createGoToAuth,
  MemoryTokenStore,
  normalizeTokenResponse,
  tokenStoreKey,
} from '../src/index.js';
import { resolveOptions } from '../src/options.js';
import { ManualClock } from './helpers.js';

const NO_TIMERS = { setTimeout: () => 0, clearTimeout: () => {} };

describe('last gaps', () => {
  it('says "unknown error" when fetch rejects with nothing', async () => {
    const options = resolveOptions({
      clientId: 'c',
      userId: 'u',
      password: 'p',
      logger: false,
      timers: NO_TIMERS,
      fetch: async () => {
        throw undefined;
      },
    });
    const error = await requestToken(
      options,
      { type: 'password' },
      new AbortController().signal,
      [],
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'NETWORK_ERROR',
      message: "Could not reach GoTo's token endpoint at https://api.getgo.com (unknown error).",
    });
  });

  it('refuses an expires_in that is neither a number nor a string', () => {
    for (const value of [true, {}, [60]]) {
      expect(() => normalizeTokenResponse({ access_token: 'a', expires_in: value }, 0)).toThrow(
        expect.objectContaining({ code: 'INVALID_RESPONSE' }),
      );
    }
  });

  it('takes every 127.x.y.z with multi-digit parts as loopback', () => {
    expect(() =>
      createGoToAuth({
        clientId: 'c',
        userId: 'u',
        password: 'p',
        baseUrl: 'http://127.10.20.30:1',
      }),
    ).not.toThrow();
  });

  it('waits out Retry-After before asking again, with retry: false', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const auth = createGoToAuth({
      clientId: 'c',
      userId: 'u',
      password: 'p',
      logger: false,
      retry: false,
      now: clock.now,
      timers: clock,
      fetch: (async () => {
        calls++;
        return new Response('', { status: 429, headers: { 'retry-after': '60' } });
      }) as unknown as typeof fetch,
    });
    await expect(auth.getToken()).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(auth.status().lastError?.retryAt).toBe(clock.now() + 60_000);
    clock.advance(59_999);
    await expect(auth.getToken()).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(calls).toBe(1);
    clock.advance(1);
    await expect(auth.getToken()).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(calls).toBe(2);
  });

  it('lets a released lock be released or extended again without harm', async () => {
    const store = new MemoryTokenStore({ now: () => 0 });
    const lock = await store.lock('k', 1000);
    await lock?.release();
    await expect(lock?.release()).resolves.toBeUndefined();
    await expect(lock?.extend?.(1000)).resolves.toBe(false);
  });

  it('keeps the access token and its facts in the store when it drops a dead refresh token', async () => {
    const clock = new ManualClock();
    const store = new MemoryTokenStore({ now: clock.now });
    let n = 0;
    const auth = createGoToAuth({
      clientId: 'c',
      clientSecret: 's',
      userId: 'u',
      password: 'p',
      logger: false,
      retry: false,
      minGrantInterval: 0,
      store,
      now: clock.now,
      timers: NO_TIMERS,
      fetch: (async () => {
        n++;
        if (n === 1) {
          return Response.json({
            access_token: 'access-first',
            refresh_token: 'refresh-first',
            expires_in: 600,
            organizer_key: '42',
          });
        }
        // The refresh endpoint is gone, and the password changed: both fail for good.
        return n === 2
          ? new Response('', { status: 404 })
          : Response.json({ error: 'invalid_grant' }, { status: 400 });
      }) as unknown as typeof fetch,
    });
    await auth.getToken();
    clock.advance(600_000);
    await expect(auth.getToken()).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    const key = await tokenStoreKey({
      baseUrl: 'https://api.getgo.com',
      clientId: 'c',
      userId: 'u',
    });
    const stored = await store.get(key);
    expect(stored?.token).toMatchObject({
      accessToken: 'access-first',
      refreshToken: undefined,
      refreshTokenExpiresAt: undefined,
      organizerKey: '42',
    });
  });
});
