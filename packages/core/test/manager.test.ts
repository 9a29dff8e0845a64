import { inspect } from 'node:util';
import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import { describe, expect, it } from 'vitest';
import {
  checkGoToUrl,
  createGoToAuth,
  type GoToAuthEvent,
  isGoToAuthError,
  MemoryTokenStore,
} from '../src/index.js';
import { auth, emulator, ManualClock, me, NO_TIMERS, settle, until } from './helpers.js';

describe('getToken against the emulator', () => {
  it('makes exactly 1 grant for 1,000 concurrent callers on a cold start', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => a.getToken()));
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
    expect(emu.counters.passwordGrants).toBe(1);
    expect(emu.counters.legacyPasswordGrants).toBe(1);
    expect(await me(emu, tokens[0]?.accessToken ?? '')).toBe(200);
  });

  it('makes exactly 1 refresh for 1,000 concurrent callers at expiry, with the newest refresh token', async () => {
    const clock = new ManualClock();
    const emu = await emulator({ now: clock.now });
    const a = auth(emu, { now: clock.now, timers: clock });
    const first = await a.getToken();
    clock.advance(3_600_000 - 60_000); // past refreshAt, before expiry; the timer starts the refresh
    clock.advance(0);
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => a.getToken()));
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
    expect(tokens[0]?.accessToken).not.toBe(first.accessToken);
    expect(emu.counters.passwordGrants).toBe(1);
    expect(emu.counters.refreshGrants).toBe(1);

    // The next refresh must use the rotated refresh token (the first one is spent).
    clock.advance(3_600_000);
    const third = await a.getToken();
    expect(emu.counters.refreshGrants).toBe(2);
    expect(emu.counters.passwordGrants).toBe(1);
    expect(await me(emu, third.accessToken)).toBe(200);
  });

  it('uses the v2 endpoint with plain Basic client auth when asked', async () => {
    const emu = await emulator({
      clients: [{ clientId: 'client-with-dash', clientSecret: 'se-cr+et:%' }],
    });
    const a = auth(emu, {
      endpoint: 'v2',
      clientId: 'client-with-dash',
      clientSecret: 'se-cr+et:%',
    });
    const token = await a.getToken();
    expect(emu.counters.v2PasswordGrants).toBe(1);
    expect(token.organizerKey).toBe(EMULATOR_DEFAULTS.organizerKey);
  });

  it('honours a full token URL override', async () => {
    const emu = await emulator();
    const a = auth(emu, {
      baseUrl: 'https://api.getgo.com',
      tokenUrl: `${emu.url}/oauth/access_token`,
    });
    await a.getToken();
    expect(emu.counters.legacyPasswordGrants).toBe(1);
    expect(a.baseUrl).toBe('https://api.getgo.com');
  });

  it('counts expiry from when the request was sent', async () => {
    const emu = await emulator();
    let now = 1_000_000;
    const a = auth(emu, {
      now: () => now,
      fetch: async (input, init) => {
        now += 5_000; // the answer takes 5 s to arrive
        return fetch(input, init);
      },
    });
    const token = await a.getToken();
    expect(token.issuedAt).toBe(1_000_000);
    expect(token.expiresAt).toBe(1_000_000 + 3_600_000);
  });
});

describe('cachedToken', () => {
  it('returns the token only while getToken() would resolve at once', async () => {
    const clock = new ManualClock();
    const emu = await emulator({ now: clock.now });
    const a = auth(emu, {
      now: clock.now,
      timers: NO_TIMERS,
    });
    expect(a.cachedToken()).toBeUndefined();
    const token = await a.getToken();
    expect(a.cachedToken()).toBe(token);
    clock.advance(3_600_000 - 300_000); // inside the refresh margin
    expect(a.cachedToken()).toBeUndefined();
    const next = await a.getToken();
    expect(a.cachedToken()).toBe(next);
    a.invalidate(next.accessToken);
    expect(a.cachedToken()).toBeUndefined();
  });
});

describe('refresh timing', () => {
  it('refreshes on a timer before expiry, without a caller', async () => {
    const clock = new ManualClock();
    const emu = await emulator({ now: clock.now });
    const events: GoToAuthEvent[] = [];
    const a = auth(emu, { now: clock.now, timers: clock, onEvent: (e) => events.push(e) });
    const first = await a.getToken();
    expect(clock.pending).toBe(1);
    clock.advance(3_600_000 - 300_000 - 1);
    await settle();
    expect(emu.counters.refreshGrants).toBe(0);
    clock.advance(1);
    await until(() => emu.counters.refreshGrants === 1);
    await until(() => events.filter((e) => e.type === 'token').length === 2);
    const second = await a.getToken();
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.expiresAt - clock.now()).toBeGreaterThanOrEqual(3_600_000 - 1);
    expect(emu.counters.refreshGrants).toBe(1);
  });

  it('yields a valid token when the timer fires late or the clock jumps', async () => {
    const clock = new ManualClock();
    const emu = await emulator({ now: clock.now });
    // A timer provider whose timers never fire: a suspended laptop.
    const a = auth(emu, {
      now: clock.now,
      timers: NO_TIMERS,
    });
    const first = await a.getToken();
    clock.advance(5 * 3_600_000);
    const second = await a.getToken();
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.expiresAt).toBeGreaterThan(clock.now());
    expect(await me(emu, second.accessToken)).toBe(200);
  });

  it('does not refresh a 4-second token on every call', async () => {
    const clock = new ManualClock();
    const emu = await emulator({ now: clock.now, accessTokenTtlSeconds: 4 });
    const a = auth(emu, { now: clock.now, timers: clock });
    await a.getToken();
    for (let i = 0; i < 50; i++) {
      clock.advance(19);
      await a.getToken();
    }
    expect(emu.counters.passwordGrants + emu.counters.refreshGrants).toBe(1);
  });
});

describe('refresh token rotation and fallback', () => {
  it('falls back to one password grant when the refresh token was spent', async () => {
    const clock = new ManualClock();
    const emu = await emulator({ now: clock.now });
    const a = auth(emu, {
      now: clock.now,
      timers: NO_TIMERS,
    });
    const first = await a.getToken();
    // Someone spends our refresh token.
    const spent = await fetch(`${emu.url}/oauth/v2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${btoa(`${EMULATOR_DEFAULTS.clientId}:${EMULATOR_DEFAULTS.clientSecret}`)}`,
      },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: first.refreshToken ?? '',
      }),
    });
    expect(spent.status).toBe(200);
    emu.reset();
    clock.advance(3_600_000);
    const second = await a.getToken();
    expect(emu.counters.tokenErrors).toBe(1);
    expect(emu.counters.refreshGrants).toBe(0);
    expect(emu.counters.passwordGrants).toBe(1);
    expect(await me(emu, second.accessToken)).toBe(200);
  });

  it('uses the password grant when the refresh token has expired', async () => {
    const clock = new ManualClock();
    const emu = await emulator({ now: clock.now });
    const a = auth(emu, {
      now: clock.now,
      timers: NO_TIMERS,
    });
    await a.getToken();
    clock.advance(31 * 24 * 3_600_000);
    await a.getToken();
    expect(emu.counters.refreshGrants).toBe(0);
    expect(emu.counters.passwordGrants).toBe(2);
    expect(emu.counters.tokenErrors).toBe(0);
  });

  it('never uses the refresh grant without a client secret', async () => {
    const clock = new ManualClock();
    const emu = await emulator({ now: clock.now });
    const a = auth(emu, {
      clientSecret: undefined,
      now: clock.now,
      timers: NO_TIMERS,
    });
    await a.getToken();
    clock.advance(3_600_000);
    await a.getToken();
    expect(emu.counters.passwordGrants).toBe(2);
    expect(emu.counters.refreshGrants).toBe(0);
  });
});

describe('failures', () => {
  it.each([
    ['503', { type: 'status', status: 503 }],
    ['429 with Retry-After', { type: 'rate-limit', retryAfterSeconds: 0 }],
    ['a dropped connection', { type: 'drop' }],
  ] as const)('retries %s within bounds', async (_name, fault) => {
    const emu = await emulator();
    emu.fault(fault, { times: 2 });
    const a = auth(emu);
    const token = await a.getToken();
    expect(token.accessToken).toBeTruthy();
    expect(emu.counters.passwordGrants).toBe(1);
    expect(emu.requests.filter((r) => r.path === '/oauth/access_token')).toHaveLength(3);
  });

  it('gives up after the retry limit with the last error', async () => {
    const emu = await emulator();
    emu.fault({ type: 'status', status: 503 }, { times: 10 });
    const a = auth(emu, { retry: { limit: 2, baseDelay: 1, maxDelay: 5 } });
    const error = await a.getToken().catch((e: unknown) => e);
    expect(isGoToAuthError(error) && error.code).toBe('SERVER_ERROR');
    expect(isGoToAuthError(error) && error.attempts).toBe(3);
    expect(emu.counters.requests).toBe(3);
  });

  it('times out a slow answer and retries', async () => {
    const clock = new ManualClock();
    const emu = await emulator({ now: clock.now });
    emu.fault({ type: 'latency', ms: 20_000 }, { times: 1 });
    const a = auth(emu, { timeout: 1_000, now: clock.now, timers: clock });
    const events: GoToAuthEvent[] = [];
    a.on('refresh-failed', (e) => events.push(e));
    const token = a.getToken();
    await until(() => emu.counters.faults === 1);
    clock.advance(999);
    await settle(5);
    expect(events).toEqual([]);
    clock.advance(1); // the timeout
    await until(() => events.length === 1);
    expect(events[0]).toMatchObject({ type: 'refresh-failed', code: 'TIMEOUT', attempt: 1 });
    clock.advance((events[0] as { retryIn: number }).retryIn);
    await token;
    expect(emu.counters.passwordGrants).toBe(1);
  });

  it('honours Retry-After', async () => {
    const clock = new ManualClock();
    const emu = await emulator({ now: clock.now });
    emu.fault({ type: 'rate-limit', retryAfterSeconds: 1 }, { times: 1 });
    const a = auth(emu, {
      retry: { baseDelay: 1, maxDelay: 5_000 },
      now: clock.now,
      timers: clock,
    });
    const events: GoToAuthEvent[] = [];
    a.on('refresh-failed', (e) => events.push(e));
    let done = false;
    const token = a.getToken().finally(() => {
      done = true;
    });
    await until(() => events.length === 1);
    expect(events[0]).toMatchObject({ code: 'RATE_LIMITED' });
    expect((events[0] as { retryIn: number }).retryIn).toBeGreaterThanOrEqual(1_000);
    clock.advance(999);
    await settle(5);
    expect(done).toBe(false);
    expect(emu.counters.requests).toBe(1);
    clock.advance((events[0] as { retryIn: number }).retryIn - 999);
    await token;
    expect(emu.counters.requests).toBe(2);
  });

  it('fails fast on a wrong password after exactly 1 request', async () => {
    const emu = await emulator();
    const a = auth(emu, { password: 'wrong-password-123' });
    const error = await a.getToken().catch((e: unknown) => e);
    expect(isGoToAuthError(error) && error.code).toBe('INVALID_CREDENTIALS');
    expect(emu.counters.requests).toBe(1);
    expect(String((error as Error).message)).not.toContain('wrong-password-123');
    // A second call within the cool-down does not hammer GoTo with a bad password.
    await expect(a.getToken()).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(emu.counters.requests).toBe(1);
  });

  it('maps a wrong client to INVALID_CLIENT', async () => {
    const emu = await emulator();
    const a = auth(emu, { endpoint: 'v2', clientSecret: 'not-the-secret' });
    await expect(a.getToken()).rejects.toMatchObject({ code: 'INVALID_CLIENT' });
    expect(emu.counters.requests).toBe(1);
  });

  it.each([
    ['malformed JSON', { type: 'malformed-json' }],
    ['HTML', { type: 'html' }],
    ['an oversized body', { type: 'oversized' }],
    ['no access_token', { type: 'missing-access-token' }],
    ['a non-numeric expires_in', { type: 'bad-expires-in' }],
  ] as const)('gives INVALID_RESPONSE for %s', async (_name, fault) => {
    const emu = await emulator();
    emu.fault(fault, { times: 1 });
    const a = auth(emu);
    await expect(a.getToken()).rejects.toMatchObject({ code: 'INVALID_RESPONSE' });
  });

  it('keeps serving a still-valid token while a refresh fails', async () => {
    const clock = new ManualClock();
    const emu = await emulator({ now: clock.now });
    // Real timers for the retry back-off; the refresh timer lies an hour of real time away.
    const a = auth(emu, { now: clock.now, retry: { limit: 1, baseDelay: 1, maxDelay: 5 } });
    const first = await a.getToken();
    emu.fault({ type: 'status', status: 503 }, { times: 100 });
    clock.advance(3_600_000 - 60_000);
    expect((await a.getToken()).accessToken).toBe(first.accessToken);
    expect((await a.getToken()).accessToken).toBe(first.accessToken);
    emu.clearFaults();
    clock.advance(3_600_000);
    expect((await a.getToken()).accessToken).not.toBe(first.accessToken);
  });
});

describe('invalidate', () => {
  it('leads to exactly 1 new grant for 100 concurrent callers', async () => {
    const emu = await emulator();
    const a = auth(emu, { minGrantInterval: 0 });
    const first = await a.getToken();
    emu.revokeAll();
    expect(await me(emu, first.accessToken)).toBe(403);
    emu.reset();
    expect(a.invalidate(first.accessToken)).toBe(true);
    const tokens = await Promise.all(Array.from({ length: 100 }, () => a.getToken()));
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
    expect(emu.counters.passwordGrants + emu.counters.refreshGrants).toBe(1);
    expect(await me(emu, tokens[0]?.accessToken ?? '')).toBe(200);
  });

  it('ignores a stale token', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const token = await a.getToken();
    emu.reset();
    expect(a.invalidate('an-old-token')).toBe(false);
    expect((await a.getToken()).accessToken).toBe(token.accessToken);
    expect(emu.counters.requests).toBe(0);
  });

  it('takes a newer token from the store before minting one', async () => {
    const emu = await emulator();
    const store = new MemoryTokenStore();
    const a = auth(emu, { store, minGrantInterval: 0 });
    const b = auth(emu, { store, minGrantInterval: 0 });
    const first = await a.getToken();
    expect((await b.getToken()).accessToken).toBe(first.accessToken);
    expect(a.invalidate(first.accessToken)).toBe(true);
    const second = await a.getToken();
    expect(b.invalidate(first.accessToken)).toBe(true);
    expect((await b.getToken()).accessToken).toBe(second.accessToken);
    expect(emu.counters.passwordGrants + emu.counters.refreshGrants).toBe(2);
  });
});

describe('a holder that stalls past its lock', () => {
  it('takes the later token from the store instead of keeping its revoked one', async () => {
    const clock = new ManualClock();
    const emu = await emulator({ now: clock.now });
    const store = new MemoryTokenStore({ now: clock.now });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let stalled = false;
    // GoTo mints A's token, but A's process stalls before it reads the answer.
    const a = auth(emu, {
      store,
      now: clock.now,
      lockTtl: 1_000,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        stalled = true;
        await gate;
        return response;
      },
    });
    const pending = a.getToken();
    await until(() => stalled);
    clock.advance(20_000); // A's lock expires: past its renewal (the 10 s timeout plus lockTtl)
    const b = auth(emu, { store, now: clock.now });
    const fromB = await b.getToken(); // B mints, revoking A's token
    release();
    const fromA = await pending;
    expect(fromA.accessToken).toBe(fromB.accessToken);
    expect(await me(emu, fromA.accessToken)).toBe(200);
    expect(emu.counters.passwordGrants).toBe(2);
  });
});

describe('abort', () => {
  it('rejects only the aborting caller; the shared refresh goes on', async () => {
    const emu = await emulator();
    emu.fault({ type: 'latency', ms: 50 }, { times: 1 });
    const a = auth(emu);
    const controller = new AbortController();
    const aborted = a.getToken({ signal: controller.signal });
    const others = Array.from({ length: 9 }, () => a.getToken());
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
    const tokens = await Promise.all(others);
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
    expect(emu.counters.passwordGrants).toBe(1);
  });
});

describe('another client minting with the same credentials', () => {
  it('spaces our grants by the floor and warns', async () => {
    const clock = new ManualClock();
    const emu = await emulator({ now: clock.now });
    const floor = 300;
    const a = auth(emu, { minGrantInterval: floor, now: clock.now, timers: clock });
    const warnings: GoToAuthEvent[] = [];
    a.on('warning', (e) => warnings.push(e));
    const grantTimes: number[] = [];
    a.on('token', (e) => grantTimes.push(e.issuedAt));
    let token = await a.getToken();
    for (let round = 0; round < 4; round++) {
      emu.mintToken(); // the other client revokes ours
      expect(await me(emu, token.accessToken)).toBe(403);
      a.invalidate(token.accessToken);
      const next = a.getToken();
      // The refresh timer, and the wait for the floor.
      await until(() => clock.pending === 2);
      clock.advance(floor - 1);
      await settle(5);
      expect(grantTimes).toHaveLength(round + 1);
      clock.advance(1);
      token = await next;
    }
    expect(grantTimes).toHaveLength(5);
    for (let i = 1; i < grantTimes.length; i++) {
      expect((grantTimes[i] ?? 0) - (grantTimes[i - 1] ?? 0)).toBe(floor);
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ code: 'CREDENTIALS_CONTENDED' });
    expect((warnings[0] as { message: string }).message).toMatch(
      /another client is minting tokens/,
    );
  });
});

describe('configuration and secrets', () => {
  it('refuses http:// to a non-loopback host before any request', async () => {
    let calls = 0;
    const make = () =>
      createGoToAuth({
        clientId: 'c',
        userId: 'u',
        password: 'p',
        baseUrl: 'http://api.getgo.com',
        fetch: async () => {
          calls++;
          return new Response();
        },
      });
    expect(make).toThrow(expect.objectContaining({ code: 'INSECURE_ENDPOINT' }));
    expect(calls).toBe(0);
    for (const host of ['http://127.0.0.1:1', 'http://localhost:1', 'http://[::1]:1']) {
      expect(() =>
        createGoToAuth({ clientId: 'c', userId: 'u', password: 'p', baseUrl: host }),
      ).not.toThrow();
    }
  });

  it('checkGoToUrl names the setting it checks', () => {
    expect(() => checkGoToUrl('http://api.getgo.com', 'GOTO_BASE_URL')).toThrow(
      expect.objectContaining({
        code: 'INSECURE_ENDPOINT',
        message: expect.stringMatching(/^GOTO_BASE_URL must use https/),
      }),
    );
    expect(() => checkGoToUrl('https://u:secret@api.getgo.com', 'X')).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTIONS',
        message: expect.not.stringContaining('secret'),
      }),
    );
    expect(checkGoToUrl('http://[::1]:4010', 'X').port).toBe('4010');
  });

  it.each([
    [{ clientId: '' }, /clientId/],
    [{ userId: undefined }, /userId/],
    [{ password: '' }, /password/],
    [{ endpoint: 'v2', clientSecret: undefined }, /clientSecret/],
    [{ timeout: -1 }, /timeout/],
    [{ baseUrl: 'not a url' }, /baseUrl/],
  ])('refuses bad options %o with INVALID_OPTIONS', (override, pattern) => {
    const options = { clientId: 'c', clientSecret: 's', userId: 'u', password: 'p', ...override };
    expect(() => createGoToAuth(options as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS', message: expect.stringMatching(pattern) }),
    );
  });

  it('keeps secrets out of inspect, JSON, errors and events', async () => {
    const emu = await emulator();
    const secrets = { password: 'pw-§§-123', clientSecret: 'cs-§§-456' };
    const events: GoToAuthEvent[] = [];
    const good = auth(emu, { onEvent: (e) => events.push(e) });
    const token = await good.getToken();
    const bad = auth(emu, { ...secrets, endpoint: 'v2' });
    const error = await bad.getToken().catch((e: unknown) => e);
    emu.fault({ type: 'drop' }, { times: 1 });
    const netErr = await auth(emu, { ...secrets, retry: false })
      .getToken()
      .catch((e: unknown) => e);
    const texts = [
      inspect(good, { depth: 10, showHidden: true }),
      inspect(bad, { depth: 10, showHidden: true }),
      JSON.stringify(good),
      JSON.stringify(bad),
      inspect(error, { depth: 10 }),
      JSON.stringify(error),
      String(error),
      inspect(netErr, { depth: 10 }),
      JSON.stringify(events),
      JSON.stringify(good.status()),
      inspect(token),
      JSON.stringify(token),
    ];
    for (const text of texts) {
      for (const secret of [
        secrets.password,
        secrets.clientSecret,
        EMULATOR_DEFAULTS.password,
        EMULATOR_DEFAULTS.clientSecret,
        token.accessToken,
        token.refreshToken ?? '§',
      ]) {
        expect(text).not.toContain(secret);
      }
    }
  });

  it('close() stops everything; later calls fail with CLOSED', async () => {
    const emu = await emulator();
    const a = auth(emu);
    await a.getToken();
    await a.close();
    expect(a.closed).toBe(true);
    await expect(a.getToken()).rejects.toMatchObject({ code: 'CLOSED' });
    expect(a.status().state).toBe('closed');
  });

  it('close() rejects callers waiting on a refresh with CLOSED', async () => {
    const emu = await emulator();
    emu.fault({ type: 'latency', ms: 5_000 }, { times: 1 });
    const a = auth(emu);
    const waiting = a.getToken();
    await settle();
    await a.close();
    await expect(waiting).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
