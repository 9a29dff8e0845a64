/**
 * The failures a real deployment meets: a refresh endpoint that is gone, a changed password,
 * a lock that expires mid-grant, hosts whose clocks disagree, close() during a refresh, secrets
 * in long error texts, and smaller items. Each test failed before its fix.
 */
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { EMULATOR_DEFAULTS, type GoToEmulator } from '@goto-auth/emulator';
import { describe, expect, it } from 'vitest';
import { onCleanup, rejection } from '../../../tools/test-support/src/index.ts';
import {
  createGoToAuth,
  type GoToAuth,
  type GoToAuthEvent,
  type GoToAuthOptions,
  isGoToAuthError,
  MemoryTokenStore,
  type TokenStore,
} from '../src/index.js';
import { auth, emulator, ManualClock, me, NO_TIMERS, serve, settle, until } from './helpers.js';

type Answer = { status: number; headers?: Record<string, string>; body: string };

/** A stand-in for GoTo's authentication host, on a free loopback port. */
async function authHost(
  answer: (body: URLSearchParams, req: IncomingMessage) => Answer,
): Promise<{ url: string; seen: URLSearchParams[] }> {
  const seen: URLSearchParams[] = [];
  const url = await serve((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => {
      raw += chunk.toString();
    });
    req.on('end', () => {
      const body = new URLSearchParams(raw);
      seen.push(body);
      const out = answer(body, req);
      res.writeHead(out.status, { 'content-type': 'application/json', ...out.headers });
      res.end(out.body);
    });
  });
  return { url, seen };
}

const GONE: Answer = {
  status: 404,
  headers: { 'content-type': 'text/html' },
  body: '<html><body><h1>404 Not Found</h1></body></html>',
};

function warnings(a: GoToAuth): Extract<GoToAuthEvent, { type: 'warning' }>[] {
  const seen: Extract<GoToAuthEvent, { type: 'warning' }>[] = [];
  a.on('warning', (event) => seen.push(event));
  return seen;
}

const HOUR = 3_600_000;

describe('a refresh endpoint that is gone', () => {
  it.each([
    ['404 with an HTML page', GONE],
    [
      '401 invalid_client',
      { status: 401, body: '{"error":"invalid_client","error_description":"Unknown client"}' },
    ],
    ['400 invalid_request', { status: 400, body: '{"error":"invalid_request"}' }],
    ['403 with no body', { status: 403, body: '' }],
  ] as const)('falls back to one password grant at every refresh after %s', async (_name, gone) => {
    const clock = new ManualClock();
    const emu = await emulator({ now: clock.now });
    const host = await authHost(() => gone);
    const a = auth(emu, { authUrl: host.url, now: clock.now, timers: NO_TIMERS });
    const seen = warnings(a);
    let token = await a.getToken();
    for (let lifetime = 1; lifetime <= 10; lifetime++) {
      clock.advance(HOUR);
      token = await a.getToken();
      expect(await me(emu, token.accessToken)).toBe(200);
    }
    expect(emu.counters.passwordGrants).toBe(11);
    expect(host.seen).toHaveLength(10); // one refresh attempt per lifetime, never repeated
    expect(new Set(host.seen.map((body) => body.get('refresh_token'))).size).toBe(10);
    expect(seen.filter((w) => w.code === 'REFRESH_UNAVAILABLE')).toHaveLength(1);
    expect(seen[0]?.message).not.toContain(token.refreshToken ?? '-');
  });

  it('keeps the refresh token through a transient failure and retries it', async () => {
    const clock = new ManualClock();
    const emu = await emulator({ now: clock.now });
    // Real timers for the back-off; the manual clock only moves the expiry.
    const a = auth(emu, { now: clock.now });
    const first = await a.getToken();
    clock.advance(HOUR);
    emu.fault({ type: 'status', status: 503 }, { times: 1 });
    await a.getToken();
    expect(emu.counters.passwordGrants).toBe(1);
    expect(emu.counters.refreshGrants).toBe(1);
    expect(emu.requests.filter((r) => r.path === '/oauth/token')).toHaveLength(2);
    expect(first.refreshToken).toBeDefined();
  });

  it('drops the dead refresh token from the store too, when the password grant fails as well', async () => {
    const clock = new ManualClock();
    const emu = await emulator({ now: clock.now });
    const host = await authHost(() => GONE);
    const store = new MemoryTokenStore({ now: clock.now });
    let password: string = EMULATOR_DEFAULTS.password;
    const a = auth(emu, {
      authUrl: host.url,
      store,
      now: clock.now,
      timers: NO_TIMERS,
      // The password changes after the first grant.
      fetch: (input, init) => {
        const body = new URLSearchParams(String(init?.body ?? ''));
        if (body.has('password')) body.set('password', password);
        return fetch(input, { ...init, body });
      },
    });
    await a.getToken();
    password = 'changed';
    clock.advance(HOUR);
    expect(isGoToAuthError(await rejection(a.getToken()))).toBe(true);
    const key = (await (
      await import('../src/store.js')
    ).tokenStoreKey({
      baseUrl: a.baseUrl,
      clientId: EMULATOR_DEFAULTS.clientId,
      userId: EMULATOR_DEFAULTS.userId,
    })) as string;
    const stored = await store.get(key);
    expect(stored?.token.refreshToken).toBeUndefined();
  });

  it('defaults refresh and the v2 password grant to authentication.logmeininc.com', async () => {
    const urls: string[] = [];
    const now = 1_000_000;
    let clock = now;
    const recording = (async (input: RequestInfo | URL) => {
      urls.push(String(input instanceof Request ? input.url : input));
      return Response.json({
        access_token: `t${urls.length}`,
        expires_in: 3600,
        refresh_token: 'r',
      });
    }) as typeof fetch;
    const a = createGoToAuth({
      clientId: 'id',
      clientSecret: 'secret',
      userId: 'u',
      password: 'p',
      fetch: recording,
      now: () => clock,
      timers: NO_TIMERS,
      logger: false,
    });
    onCleanup(() => a.close());
    await a.getToken();
    clock += HOUR;
    await a.getToken();
    const v2 = createGoToAuth({
      clientId: 'id',
      clientSecret: 'secret',
      userId: 'u',
      password: 'p',
      endpoint: 'v2',
      fetch: recording,
      logger: false,
    });
    onCleanup(() => v2.close());
    await v2.getToken();
    expect(urls).toEqual([
      'https://api.getgo.com/oauth/access_token',
      'https://authentication.logmeininc.com/oauth/token',
      'https://authentication.logmeininc.com/oauth/token',
    ]);
  });
});

describe("GoTo's refresh answer without a refresh token", () => {
  it('carries the previous refresh token, its expiry and the account facts forward; keeps principal and scope', async () => {
    const clock = new ManualClock();
    const emu = await emulator({ now: clock.now });
    let n = 0;
    const host = await authHost(() => ({
      status: 200,
      body: JSON.stringify({
        access_token: `refreshed-${++n}`,
        expires_in: 3600,
        scope: 'collab:',
        principal: 'user@example.com',
      }),
    }));
    const a = auth(emu, { authUrl: host.url, now: clock.now, timers: NO_TIMERS });
    const first = await a.getToken();
    clock.advance(HOUR);
    const second = await a.getToken();
    clock.advance(HOUR);
    const third = await a.getToken();
    expect(host.seen.map((body) => body.get('refresh_token'))).toEqual([
      first.refreshToken,
      first.refreshToken,
    ]);
    expect(third.accessToken).toBe('refreshed-2');
    expect(second.refreshToken).toBe(first.refreshToken);
    expect(second.refreshTokenExpiresAt).toBe(first.refreshTokenExpiresAt);
    expect(second.organizerKey).toBe(EMULATOR_DEFAULTS.organizerKey);
    expect(second.principal).toBe('user@example.com');
    expect(second.scope).toBe('collab:');
    expect(second.issuedAt).toBe(first.issuedAt + HOUR);
    expect(emu.counters.passwordGrants).toBe(1);
  });
});

/** A fetch that sends the password given by `password()` instead of the configured one. */
function changeablePassword(password: () => string): typeof fetch {
  return (input, init) => {
    const body = new URLSearchParams(String(init?.body ?? ''));
    if (body.has('password')) body.set('password', password());
    return fetch(input, { ...init, body });
  };
}

describe('a changed password', () => {
  it('is tried once by the refresh timer, never again without a caller', async () => {
    const clock = new ManualClock();
    const emu = await emulator({ now: clock.now });
    let password: string = EMULATOR_DEFAULTS.password;
    const a = auth(emu, {
      clientSecret: undefined,
      now: clock.now,
      timers: clock,
      fetch: changeablePassword(() => password),
    });
    await a.getToken();
    password = 'changed-by-the-admin';
    emu.reset();
    for (let second = 0; second < 2 * 3600; second += 10) {
      clock.advance(10_000);
      await settle(3);
    }
    expect(emu.counters.tokenErrors).toBe(1);
    expect(emu.counters.requests).toBe(1);
  });

  it('makes at most 8 attempts in an hour of one call a second, and says when it tries next', async () => {
    const clock = new ManualClock();
    const emu = await emulator({ now: clock.now });
    const a = auth(emu, {
      password: 'wrong',
      now: clock.now,
      timers: clock,
    });
    const codes = new Set<string>();
    const retryAts: number[] = [];
    for (let second = 0; second < 3600; second++) {
      const error = await rejection(a.getToken());
      codes.add(isGoToAuthError(error) ? error.code : 'other');
      const last = a.status().lastError;
      if (last !== undefined && retryAts.at(-1) !== last.retryAt) retryAts.push(last.retryAt);
      clock.advance(1000);
    }
    expect([...codes]).toEqual(['INVALID_CREDENTIALS']);
    expect(emu.counters.tokenErrors).toBeLessThanOrEqual(8);
    expect(emu.counters.tokenErrors).toBeGreaterThanOrEqual(6);
    // 30 s, 1 min, 2 min, 4 min…: each cool-down doubles.
    const gaps = retryAts.map((at, i) => at - (i === 0 ? 0 : (retryAts[i - 1] ?? 0)));
    expect(gaps.slice(1, 4)).toEqual([60_000, 120_000, 240_000]);
  });

  it('resets the cool-down after a success', async () => {
    const clock = new ManualClock();
    const emu = await emulator({ now: clock.now });
    let password = 'wrong';
    const a = auth(emu, {
      clientSecret: undefined,
      now: clock.now,
      timers: NO_TIMERS,
      fetch: changeablePassword(() => password),
    });
    for (let i = 0; i < 3; i++) {
      await rejection(a.getToken());
      clock.advance(10 * 60_000);
    }
    password = EMULATOR_DEFAULTS.password;
    await a.getToken();
    expect(a.status().lastError).toBeUndefined();
    password = 'wrong-again';
    a.invalidate((await a.getToken()).accessToken);
    clock.advance(10_000); // past the floor between grants
    await rejection(a.getToken());
    expect((a.status().lastError?.retryAt ?? 0) - clock.now()).toBe(30_000);
  });
});

/** A fetch that takes `ms` on the given clock before it sends. */
function slowFetch(clock: ManualClock, ms: number): typeof fetch {
  return (input, init) =>
    new Promise<void>((resolve) => clock.setTimeout(resolve, ms)).then(() => fetch(input, init));
}

describe('a slow GoTo under the lock', () => {
  it.each([
    ['the default lockTtl', {}],
    ['a short lockTtl, renewed before each request', { lockTtl: 12_000 }],
  ] as const)('two processes make one grant per lifetime with %s', async (_name, extra) => {
    const clock = new ManualClock();
    const emu = await emulator({ now: clock.now });
    const store = new MemoryTokenStore({ now: clock.now });
    // The refresh endpoint refuses every refresh token: each refresh is refresh + password.
    const host = await authHost(() => ({ status: 400, body: '{"error":"invalid_grant"}' }));
    const options: Partial<GoToAuthOptions> = {
      authUrl: host.url,
      store,
      now: clock.now,
      timers: clock,
      fetch: slowFetch(clock, 9_000),
      lockPollInterval: 500,
      ...extra,
    };
    const a = auth(emu, options);
    const b = auth(emu, options);
    const failed: string[] = [];
    for (const x of [a, b]) x.on('refresh-failed', (e) => failed.push(e.code));
    const first = a.getToken();
    await until(() => clock.pending > 0);
    clock.advance(9_000);
    await first;
    await b.getToken();
    expect(emu.counters.passwordGrants).toBe(1);

    clock.advance(HOUR - 4 * 60_000); // past refreshAt: both timers fire
    const done = Promise.all([a.getToken(), b.getToken()]);
    for (let i = 0; i < 80; i++) {
      await settle(5);
      clock.advance(500);
    }
    const [ta, tb] = await done;
    expect(ta.accessToken).toBe(tb.accessToken);
    expect(emu.counters.passwordGrants).toBe(2);
    // The waiter waited for the holder's renewed lock instead of timing out.
    expect(failed.filter((code) => code !== 'REFRESH_TOKEN_REJECTED')).toEqual([]);
    expect(await me(emu, ta.accessToken)).toBe(200);
  });
});

describe('hosts whose clocks disagree', () => {
  it('recover from one outside revocation with one grant when the stored token came from a host 60 s ahead', async () => {
    const emu = await emulator();
    const store = new MemoryTokenStore();
    const skewed = (ms: number) => () => Date.now() + ms;
    const common: Partial<GoToAuthOptions> = { store, minGrantInterval: 20 };
    // A host 60 s ahead mints the stored token, then leaves.
    const ahead = auth(emu, { ...common, now: skewed(60_000) });
    await ahead.getToken();
    await ahead.close();
    const processes = [-60_000, 0, 60_000].map((ms) => auth(emu, { ...common, now: skewed(ms) }));
    await Promise.all(processes.map((p) => p.getToken()));
    emu.mintToken(); // someone else revokes the shared token
    emu.reset();
    // Each process keeps calling GoTo for a while, as a service would.
    for (let round = 0; round < 20; round++) {
      await Promise.all(
        processes.map(async (p) => {
          const token = await p.getToken();
          if ((await me(emu, token.accessToken)) !== 200) p.invalidate(token.accessToken);
        }),
      );
    }
    expect(emu.counters.passwordGrants + emu.counters.refreshGrants).toBeLessThanOrEqual(2);
    expect(emu.counters.meRejected).toBeLessThanOrEqual(3);
  });
});

/** A store whose calls wait until the test lets them go. */
function gatedStore(inner: TokenStore = new MemoryTokenStore()) {
  const gates: Array<() => void> = [];
  let gated = false;
  const gate = async () => {
    if (gated) await new Promise<void>((resolve) => gates.push(resolve));
  };
  const store: TokenStore = {
    get: (key) => gate().then(() => inner.get(key)),
    set: (key, token, ttl, expected) => gate().then(() => inner.set(key, token, ttl, expected)),
    delete: (key) => inner.delete(key),
    lock: (key, ttl) => gate().then(() => inner.lock(key, ttl)),
  };
  return {
    store,
    close: () => {
      gated = true;
    },
    open: () => {
      gated = false;
      for (const go of gates.splice(0)) go();
    },
    get waiting() {
      return gates.length;
    },
  };
}

describe('close() during a refresh', () => {
  it.each(['get', 'lock'] as const)(
    'sends no grant when close() lands while the refresh waits on store %s',
    async (operation) => {
      const emu = await emulator();
      const gate = gatedStore();
      const a = auth(emu, { store: gate.store });
      if (operation === 'lock') {
        // get answers at once, lock waits
        const lock = gate.store.lock;
        gate.store.lock = async (key, ttl) => {
          gate.close();
          return lock(key, ttl);
        };
      } else {
        gate.close();
      }
      const waiting = a.getToken();
      await until(() => gate.waiting > 0);
      const closing = a.close();
      const error = await rejection(waiting);
      expect(isGoToAuthError(error) && error.code).toBe('CLOSED');
      gate.open();
      await closing;
      await settle(20);
      expect(emu.counters.requests).toBe(0);
    },
  );

  it('rejects waiting callers at once and returns even when the store never answers', async () => {
    const emu = await emulator();
    const clock = new ManualClock();
    const gate = gatedStore();
    gate.close();
    const a = auth(emu, { store: gate.store, now: clock.now, timers: clock });
    const waiting = a.getToken();
    let settled = false;
    waiting
      .catch(() => {})
      .finally(() => {
        settled = true;
      });
    await until(() => gate.waiting > 0);
    let closed = false;
    const closing = a.close().then(() => {
      closed = true;
    });
    await settle(2);
    expect(settled).toBe(true); // rejected before the store answers, with no time passing
    expect(await rejection(waiting)).toMatchObject({ code: 'CLOSED' });
    // close() waits a while for the store call it cannot cancel, then returns without it.
    clock.advance(999);
    await settle(2);
    expect(closed).toBe(false);
    clock.advance(1);
    await closing;
    expect(gate.waiting).toBe(1);
    expect(emu.counters.requests).toBe(0);
    gate.open(); // the late answer ends the refresh without a request
    await settle(5);
    expect(emu.counters.requests).toBe(0);
  });
});

describe('secrets in long error texts', () => {
  it('redacts a password that straddles character 200 of error_description, and in error', async () => {
    const password = 'Straddling-Secret-Pa55word';
    const host = await authHost(() => ({
      status: 400,
      body: JSON.stringify({
        error: `bad ${password}`,
        error_description: `${'x'.repeat(190)}${password} was not accepted`,
      }),
    }));
    const lines: string[] = [];
    const events: GoToAuthEvent[] = [];
    const a = createGoToAuth({
      clientId: 'id',
      userId: 'u',
      password,
      baseUrl: host.url,
      logger: { warn: (line) => lines.push(line), error: (line) => lines.push(line) },
      onEvent: (event) => events.push(event),
    });
    onCleanup(() => a.close());
    const error = await rejection(a.getToken());
    const texts = [
      error.message,
      JSON.stringify(error),
      JSON.stringify((error as { oauthError?: string }).oauthError),
      JSON.stringify(events),
      JSON.stringify(a.status()),
      ...lines,
    ];
    for (const text of texts) expect(text).not.toContain(password.slice(0, 6));
  });
});

describe('smaller items', () => {
  it('reads the store at once after a rejection; the floor delays only a grant', async () => {
    const clock = new ManualClock();
    const emu = await emulator({ now: clock.now });
    const store = new MemoryTokenStore({ now: clock.now });
    const options = { store, now: clock.now, timers: clock, minGrantInterval: 60_000 };
    const a = auth(emu, options);
    const b = auth(emu, options);
    const first = await a.getToken();
    await b.getToken();
    // b was rejected first and has stored a newer token; a's floor (60 s) has not passed.
    b.invalidate(first.accessToken);
    const second = await b.getToken();
    a.invalidate(first.accessToken);
    let got: string | undefined;
    void a.getToken().then((t) => {
      got = t.accessToken;
    });
    await until(() => got !== undefined); // no clock advance: no floor wait
    expect(got).toBe(second.accessToken);
    expect(emu.counters.passwordGrants + emu.counters.refreshGrants).toBe(2);
  });

  it.each(['http://evil.localhost:8080', 'http://localhost.evil.com', 'http://127.0.0.1.nip.io'])(
    'refuses %s as loopback',
    (baseUrl) => {
      let code: string | undefined;
      try {
        createGoToAuth({ clientId: 'c', userId: 'u', password: 'p', baseUrl });
      } catch (error) {
        code = isGoToAuthError(error) ? error.code : 'other';
      }
      expect(code).toBe('INSECURE_ENDPOINT');
    },
  );

  it('keeps a token whose descriptive fields have unexpected types, drops them and warns once', async () => {
    const host = await authHost(() => ({
      status: 200,
      body: `{"access_token":"kept","expires_in":"3600","email":5.5,"organizer_key":84398856940239999999,"firstName":{"a":1},"platform":"GLOBAL"}`,
    }));
    const a = createGoToAuth({
      clientId: 'id',
      userId: 'u',
      password: 'p',
      baseUrl: host.url,
      minGrantInterval: 0,
      logger: false,
    });
    onCleanup(() => a.close());
    const seen = warnings(a);
    const token = await a.getToken();
    a.invalidate(token.accessToken);
    await a.getToken();
    expect(token.accessToken).toBe('kept');
    expect(token.email).toBeUndefined();
    expect(token.organizerKey).toBeUndefined();
    expect(token.firstName).toBeUndefined();
    expect(token.platform).toBe('GLOBAL');
    expect(seen.map((w) => w.code)).toEqual(['RESPONSE_FIELD_DROPPED']);
    expect(seen[0]?.message).toMatch(/"email"/);
  });

  it('reports a bug in a store as UNEXPECTED_ERROR and does not retry it', async () => {
    const emu = await emulator();
    let calls = 0;
    const broken: TokenStore = {
      ...new MemoryTokenStore(),
      get: async () => {
        calls++;
        throw new TypeError("Cannot read properties of undefined (reading 'token')");
      },
      set: async () => 1,
      delete: async () => {},
      lock: async () => ({ release: async () => {} }),
    };
    const a = auth(emu, { store: broken });
    const error = await rejection(a.getToken());
    expect(isGoToAuthError(error) && error.code).toBe('UNEXPECTED_ERROR');
    expect(isGoToAuthError(error) && error.retryable).toBe(false);
    expect(calls).toBe(1);
    expect(emu.counters.requests).toBe(0);
  });

  it('reports each token request and lock wait as events', async () => {
    const emu: GoToEmulator = await emulator();
    const a = auth(emu);
    const events: GoToAuthEvent[] = [];
    a.on('request', (e) => events.push(e));
    a.on('lock', (e) => events.push(e));
    await a.getToken();
    expect(events.map((e) => e.type)).toEqual(['lock', 'request']);
    expect(events[0]).toMatchObject({ type: 'lock', outcome: 'acquired' });
    expect(events[1]).toMatchObject({
      type: 'request',
      grant: 'password',
      outcome: 'success',
      status: 200,
    });
  });
});
