/**
 * The manager's observable details with a stub fetch and a manual clock: status(), events,
 * messages, store calls, lock waits. No HTTP: each check is a few milliseconds.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  createGoToAuth,
  type GoToAuthEvent,
  type GoToAuthOptions,
  MemoryTokenStore,
  type TokenStore,
} from '../src/index.js';
import { ManualClock, STUB_CREDENTIALS, settle, until } from './helpers.js';

const START = Date.UTC(2026, 0, 1);

type Answer = Response | (() => Response | Promise<Response>);

/** An auth object on a manual clock whose fetch answers from a list (the last one repeats). */
function setup(answers: Answer[] = [], options: Partial<GoToAuthOptions> = {}) {
  const clock = new ManualClock(START);
  const requests: { url: string; body: string }[] = [];
  const events: GoToAuthEvent[] = [];
  const logs: string[] = [];
  let n = 0;
  const fetch = (async (url: string, init: RequestInit) => {
    requests.push({ url, body: String(init.body) });
    const next = answers[Math.min(n++, answers.length - 1)];
    if (next === undefined) {
      return Response.json({ access_token: `t${n}`, expires_in: 3600, refresh_token: `r${n}` });
    }
    return typeof next === 'function' ? next() : next.clone();
  }) as unknown as typeof globalThis.fetch;
  const auth = createGoToAuth({
    ...STUB_CREDENTIALS,
    fetch,
    now: clock.now,
    timers: clock,
    retry: { limit: 3, baseDelay: 100, maxDelay: 1000 },
    logger: { warn: (m) => logs.push(`warn ${m}`), error: (m) => logs.push(`error ${m}`) },
    onEvent: (e) => events.push(e),
    ...options,
  });
  return { auth, clock, requests, events, logs };
}

const token = (access: string, expiresIn = 3600, extra: Record<string, unknown> = {}) =>
  Response.json({ access_token: access, expires_in: expiresIn, ...extra });

describe('status()', () => {
  it('walks empty, refreshing, valid, expired, closed, and carries no secret', async () => {
    const { auth, clock } = setup([
      token('a1', 3600, { refresh_token: 'r1', organizer_key: '7' }),
      new Response('', { status: 503 }),
    ]);
    expect(auth.status()).toEqual({
      state: 'empty',
      serving: false,
      token: undefined,
      refreshAt: undefined,
      lastRefreshAt: undefined,
      lastError: undefined,
    });
    const pending = auth.getToken();
    expect(auth.status().state).toBe('refreshing');
    await pending;
    const valid = auth.status();
    expect(valid).toMatchObject({
      state: 'valid',
      serving: true,
      refreshAt: START + 3_600_000 - 300_000,
      lastRefreshAt: START,
      lastError: undefined,
    });
    expect(valid.token).toMatchObject({
      organizerKey: '7',
      expiresAt: START + 3_600_000,
      issuedAt: START,
    });
    expect(valid.token).not.toHaveProperty('accessToken');
    expect(valid.token).not.toHaveProperty('refreshToken');
    expect(JSON.stringify(valid)).not.toMatch(/a1|r1/);

    clock.advance(3_600_000); // expired; the refresh timer's attempt fails and backs off
    await settle(10);
    const failing = auth.getToken().catch((e: unknown) => e);
    for (let i = 0; i < 6; i++) {
      await settle(10);
      clock.advance(1000);
    }
    expect(await failing).toMatchObject({ code: 'SERVER_ERROR' });
    const expired = auth.status();
    expect(expired.state).toBe('expired');
    expect(expired.serving).toBe(false);
    expect(expired.lastError).toMatchObject({
      code: 'SERVER_ERROR',
      message: "GoTo's token endpoint failed with HTTP 503. (after 4 attempts)".replace(
        '. (after',
        '. (after',
      ),
    });
    expect(expired.lastError?.retryAt).toBeGreaterThan(expired.lastError?.at ?? 0);
    await auth.close();
    expect(auth.status()).toMatchObject({ state: 'closed', serving: false });
  });

  it('says valid but not serving once closed with a fresh token', async () => {
    const { auth } = setup();
    await auth.getToken();
    await auth.close();
    const status = auth.status();
    expect(status.state).toBe('closed');
    expect(status.serving).toBe(false);
    expect(status.token).toBeDefined();
  });
});

describe('toJSON and inspect', () => {
  it('show the base URL, client, user and state only', async () => {
    const { auth } = setup();
    expect(auth).toHaveProperty('toJSON');
    expect(JSON.parse(JSON.stringify(auth))).toEqual({
      baseUrl: 'https://api.getgo.com',
      clientId: 'client',
      userId: 'user',
      state: 'empty',
    });
    await auth.getToken();
    expect(inspect(auth)).toBe(
      'GoToAuth {"baseUrl":"https://api.getgo.com","clientId":"client","userId":"user","state":"valid"}',
    );
  });
});

describe('events', () => {
  it('calls listeners of the type until removed, and survives one that throws', async () => {
    const { auth, logs, events } = setup([], { minGrantInterval: 0 });
    const seen: string[] = [];
    auth.on('token', () => {
      throw new Error('listener bug with password');
    });
    const off = auth.on('token', (e) => seen.push(e.source));
    auth.on('request', (e) => seen.push(`request ${e.outcome}`));
    await auth.getToken();
    expect(seen).toEqual(['request success', 'password']);
    expect(logs).toEqual([
      'error [goto-auth] an event listener threw (Error: listener bug with [redacted]).',
    ]);
    off();
    off();
    auth.invalidate((await auth.getToken()).accessToken);
    await auth.getToken();
    expect(seen).toEqual(['request success', 'password', 'request success']);
    expect(events.map((e) => e.type)).toEqual([
      'lock',
      'request',
      'token',
      'invalidated',
      'lock',
      'request',
      'token',
    ]);
  });

  it('reports a request with its grant, outcome, code, status, start and duration', async () => {
    const slow = async () => {
      clockRef.clock?.advance(250);
      return new Response('{"error":"invalid_grant"}', { status: 400 });
    };
    const clockRef: { clock?: ManualClock } = {};
    const { auth, events, clock } = setup([slow]);
    clockRef.clock = clock;
    await auth.getToken().catch(() => {});
    expect(events.filter((e) => e.type === 'request')).toEqual([
      {
        type: 'request',
        grant: 'password',
        outcome: 'failure',
        code: 'INVALID_CREDENTIALS',
        status: 400,
        startedAt: START,
        durationMs: 250,
      },
    ]);
  });

  it('reports a token with its source, reason and times', async () => {
    const { auth, events, clock } = setup([token('a', 600, { refresh_token: 'r' })]);
    await auth.getToken();
    expect(events.find((e) => e.type === 'token')).toEqual({
      type: 'token',
      source: 'password',
      reason: 'initial',
      issuedAt: START,
      expiresAt: START + 600_000,
      refreshAt: START + 450_000,
    });
    clock.advance(450_000);
    await until(() => events.filter((e) => e.type === 'token').length === 2);
    expect(events.filter((e) => e.type === 'token')[1]).toMatchObject({
      source: 'refresh_token',
      reason: 'scheduled',
    });
  });

  it('reports an invalidation with the token age, and a stale one as stale', async () => {
    const { auth, events, clock } = setup();
    expect(auth.invalidate('nothing yet')).toBe(false);
    const first = await auth.getToken();
    clock.advance(1234);
    expect(auth.invalidate('another')).toBe(false);
    expect(auth.invalidate(first.accessToken)).toBe(true);
    expect(auth.invalidate(first.accessToken)).toBe(false);
    expect(events.filter((e) => e.type === 'invalidated')).toEqual([
      { type: 'invalidated', stale: true, age: undefined },
      { type: 'invalidated', stale: true, age: undefined },
      { type: 'invalidated', stale: false, age: 1234 },
      { type: 'invalidated', stale: true, age: undefined },
    ]);
    expect(auth.cachedToken()).toBeUndefined();
    await auth.close();
    expect(auth.invalidate((await auth.status()).token ? 'x' : 'y')).toBe(false);
  });
});

describe('failures', () => {
  it('counts the attempts in the final error and its message', async () => {
    const { auth, clock, events } = setup([new Response('', { status: 502 })]);
    const failing = auth.getToken().catch((e: unknown) => e);
    for (let i = 0; i < 4; i++) {
      await until(() => events.filter((e) => e.type === 'refresh-failed').length === i + 1);
      clock.advance(1000);
    }
    expect(await failing).toMatchObject({
      code: 'SERVER_ERROR',
      status: 502,
      attempts: 4,
      message: "GoTo's token endpoint failed with HTTP 502. (after 4 attempts)",
    });
    expect(
      events
        .filter((e) => e.type === 'refresh-failed')
        .map((e) => (e as { attempt: number }).attempt),
    ).toEqual([1, 2, 3, 4]);
    expect((events.at(-1) as { retryIn: unknown }).retryIn).toBeUndefined();
  });

  it('logs a failure once per code: refusals as errors, transient trouble as warnings', async () => {
    const { auth, logs, clock } = setup(
      [
        new Response('', { status: 401 }),
        new Response('', { status: 401 }),
        new Response('', { status: 503 }),
      ],
      { retry: false },
    );
    await auth.getToken().catch(() => {});
    clock.advance(60_000);
    await auth.getToken().catch(() => {});
    clock.advance(120_000);
    await auth.getToken().catch(() => {});
    expect(logs).toEqual([
      'error [goto-auth] INVALID_CLIENT: GoTo refused the client id or secret (HTTP 401). This is not retried.',
      "warn [goto-auth] SERVER_ERROR: GoTo's token endpoint failed with HTTP 503.",
    ]);
  });

  it('waits out a refusal for 30 s before asking GoTo again', async () => {
    const { auth, requests, clock } = setup([new Response('', { status: 401 }), token('ok')], {
      retry: false,
    });
    await auth.getToken().catch(() => {});
    clock.advance(29_999);
    await expect(auth.getToken()).rejects.toMatchObject({ code: 'INVALID_CLIENT' });
    expect(requests).toHaveLength(1);
    expect(auth.status().lastError).toMatchObject({ at: START, retryAt: START + 30_000 });
    clock.advance(1);
    await expect(auth.getToken()).resolves.toMatchObject({ accessToken: 'ok' });
    expect(auth.status().lastError).toBeUndefined();
  });

  it('keeps serving the old token while a refresh backs off, then hands out the new one', async () => {
    const { auth, clock, events } = setup([
      token('old', 600),
      new Response('', { status: 503 }),
      token('new', 600),
    ]);
    await auth.getToken();
    clock.advance(450_000); // the refresh timer fires
    await until(() => events.some((e) => e.type === 'refresh-failed'));
    expect((await auth.getToken()).accessToken).toBe('old');
    expect(auth.status()).toMatchObject({ state: 'refreshing', serving: true });
    clock.advance(1000);
    await until(() => auth.status().state === 'valid');
    expect((await auth.getToken()).accessToken).toBe('new');
  });
});

/** A store around a MemoryTokenStore that records calls and can fail on demand. */
function recordingStore(clock: ManualClock, fail: Partial<Record<keyof TokenStore, unknown>> = {}) {
  const inner = new MemoryTokenStore({ now: clock.now });
  const calls: string[] = [];
  const ttls: number[] = [];
  const wrap =
    <A extends unknown[], R>(name: keyof TokenStore, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      calls.push(name);
      if (fail[name] !== undefined) throw fail[name];
      return call(...args);
    };
  const store: TokenStore = {
    get: wrap('get', (key: string) => inner.get(key)),
    set: wrap('set', (key: string, t, ttl: number, expected) => {
      ttls.push(ttl);
      return inner.set(key, t, ttl, expected);
    }),
    delete: wrap('delete', (key: string) => inner.delete(key)),
    lock: wrap('lock', (key: string, ttl: number) => inner.lock(key, ttl)),
  };
  return { store, calls, ttls, inner };
}

describe('the store', () => {
  it('keeps a token as long as its refresh token lives, else as long as it lives', async () => {
    const clock = new ManualClock(START);
    const recorded = recordingStore(clock);
    const { auth } = setup(
      [token('a', 3600, { refresh_token: 'r', refresh_token_expires_in: 7200 })],
      {
        store: recorded.store,
      },
    );
    const other = setup([token('b', 3600)], { store: recorded.store, userId: 'other' });
    await auth.getToken();
    await other.auth.getToken();
    expect(recorded.ttls).toEqual([7_200_000, 3_600_000]);
  });

  it('fails a refresh with STORE_ERROR when the store fails, and retries it', async () => {
    const clock = new ManualClock(START);
    const { store } = recordingStore(clock, { get: new Error('connection refused') });
    const { auth, events } = setup([], { store, retry: false });
    const error = await auth.getToken().catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'STORE_ERROR',
      message: 'The token store failed on get (Error: connection refused).',
      retryable: true,
    });
    expect((error as Error).cause).toMatchObject({ message: 'connection refused' });
    expect(events.filter((e) => e.type === 'request')).toEqual([]);
  });

  it('hides a store error that carries a secret, and shortens what it says', async () => {
    const clock = new ManualClock(START);
    const { store } = recordingStore(clock, { lock: new Error(`password ${'x'.repeat(300)}`) });
    const { auth } = setup([], { store, retry: false });
    const error = (await auth.getToken().catch((e: unknown) => e)) as Error;
    expect(error.message).toBe(
      `The token store failed on lock (${`Error: [redacted] ${'x'.repeat(300)}`.slice(0, 200)}).`,
    );
    expect(error.cause).toBeUndefined();
  });

  it("goes on without the store when onStoreError is 'local', and warns", async () => {
    const clock = new ManualClock(START);
    const { store } = recordingStore(clock, {
      get: new Error('down'),
      lock: new Error('down'),
      set: new Error('down'),
    });
    const { auth, events } = setup([], { store, onStoreError: 'local' });
    await expect(auth.getToken()).resolves.toMatchObject({ accessToken: 't1' });
    expect(
      events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message),
    ).toEqual([
      'The token store failed on get (Error: down).',
      'The token store failed on lock (Error: down).',
      'The token store failed on get (Error: down).',
      'Could not save the new token to the store (Error: down).',
    ]);
    expect(events.filter((e) => e.type === 'lock')).toMatchObject([{ outcome: 'unavailable' }]);
  });

  it('passes on a GoToAuthError a store throws, unless it is a STORE_ERROR', async () => {
    const clock = new ManualClock(START);
    const { GoToAuthError } = await import('../src/index.js');
    const closed = setup([], {
      store: recordingStore(clock, { get: new GoToAuthError('INVALID_OPTIONS', 'bad key') }).store,
      retry: false,
    });
    await expect(closed.auth.getToken()).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: 'bad key',
    });
    const wrapped = setup([], {
      store: recordingStore(clock, { get: new GoToAuthError('STORE_ERROR', 'inner') }).store,
      retry: false,
    });
    await expect(wrapped.auth.getToken()).rejects.toMatchObject({
      code: 'STORE_ERROR',
      message: 'The token store failed on get (GoToAuthError: inner).',
    });
    const bug = setup([], { store: recordingStore(clock, { get: 'text' }).store, retry: false });
    await expect(bug.auth.getToken()).rejects.toMatchObject({
      code: 'STORE_ERROR',
      message: 'The token store failed on get (text).',
    });
  });

  it('warns when releasing the lock fails, and keeps the token', async () => {
    const clock = new ManualClock(START);
    const inner = new MemoryTokenStore({ now: clock.now });
    const store: TokenStore = {
      get: (k) => inner.get(k),
      set: (k, t, ttl, e) => inner.set(k, t, ttl, e),
      delete: (k) => inner.delete(k),
      lock: async () => ({
        release: async () => {
          throw new Error('gone');
        },
      }),
    };
    const { auth, events } = setup([], { store });
    await expect(auth.getToken()).resolves.toMatchObject({ accessToken: 't1' });
    expect(events.filter((e) => e.type === 'warning')).toEqual([
      {
        type: 'warning',
        code: 'STORE_UNAVAILABLE',
        message: 'The token store failed on release (Error: gone).',
      },
    ]);
  });
});

describe('waiting for another holder of the lock', () => {
  const held = (clock: ManualClock, extra: Partial<TokenStore> = {}) => {
    const inner = new MemoryTokenStore({ now: clock.now });
    const store: TokenStore = {
      get: (k) => inner.get(k),
      set: (k, t, ttl, e) => inner.set(k, t, ttl, e),
      delete: (k) => inner.delete(k),
      lock: async () => undefined,
      ...extra,
    };
    return { store, inner };
  };

  it('gives up after twice lockTtl plus timeout, with TIMEOUT', async () => {
    // lockTtl is above timeout + 5 s, so a renewal lasts lockTtl.
    const waiting = setup([], {
      retry: false,
      timeout: 1000,
      lockTtl: 7000,
      lockPollInterval: 500,
      store: held(new ManualClock(START)).store,
    });
    let done = false;
    const pending = waiting.auth
      .getToken()
      .catch((e: unknown) => e)
      .finally(() => {
        done = true;
      });
    for (let i = 0; i < 100 && !done; i++) {
      await until(() => waiting.clock.pending > 0 || done);
      waiting.clock.advance(500);
    }
    expect(await pending).toMatchObject({
      code: 'TIMEOUT',
      message: 'Waited 16000 ms for another process to finish refreshing the token.',
    });
    expect(waiting.events.filter((e) => e.type === 'lock')).toEqual([
      { type: 'lock', outcome: 'timeout', waitMs: 16500 },
    ]);
    expect(waiting.requests).toHaveLength(0);
  });

  it('takes the token the holder stores, through waitForChange when the store has it', async () => {
    const clock = new ManualClock(START);
    const waits: number[] = [];
    const { store, inner } = held(clock, {
      waitForChange: async (_key, ms) => {
        waits.push(ms);
        await new Promise((resolve) => setImmediate(resolve));
      },
    });
    const { auth, events, requests } = setup([], {
      store,
      lockPollInterval: 250,
      now: clock.now,
      timers: clock,
    });
    const pending = auth.getToken();
    await until(() => waits.length > 0);
    const { normalizeTokenResponse, tokenStoreKey } = await import('../src/index.js');
    const key = await tokenStoreKey({
      baseUrl: 'https://api.getgo.com',
      clientId: 'client',
      userId: 'user',
    });
    await inner.set(
      key,
      normalizeTokenResponse({ access_token: 'theirs' }, clock.now()),
      3_600_000,
      undefined,
    );
    expect((await pending).accessToken).toBe('theirs');
    expect(waits.every((ms) => ms === 250)).toBe(true);
    expect(requests).toHaveLength(0);
    expect(events.filter((e) => e.type === 'lock')).toMatchObject([{ outcome: 'delivered' }]);
    expect(events.find((e) => e.type === 'token')).toMatchObject({ source: 'store' });
  });

  it('keeps the lock through a request that outlasts lockTtl but not timeout', async () => {
    // Two processes share a store. The holder's grant takes 2.5 s: longer than the 1 s lock,
    // inside the 3 s timeout. Renewing for lockTtl alone would let the lock lapse mid-request,
    // and the waiter would take it and send a second grant (revoking the first).
    const clock = new ManualClock(START);
    const inner = new MemoryTokenStore({ now: clock.now });
    let attempts = 0;
    let acquired = 0;
    const store: TokenStore = {
      get: (k) => inner.get(k),
      set: (k, t, ttl, e) => inner.set(k, t, ttl, e),
      delete: (k) => inner.delete(k),
      lock: async (k, ttl) => {
        attempts++;
        const lock = await inner.lock(k, ttl);
        if (lock !== undefined) acquired++;
        return lock;
      },
    };
    let grants = 0;
    const answers: Array<(response: Response) => void> = [];
    const fetch = (async () => {
      grants++;
      return new Promise<Response>((resolve) => answers.push(resolve));
    }) as unknown as typeof globalThis.fetch;
    const options = {
      ...STUB_CREDENTIALS,
      store,
      fetch,
      now: clock.now,
      timers: clock,
      retry: false,
      logger: false,
      lockTtl: 1_000,
      lockPollInterval: 100,
      timeout: 3_000,
    } as const;
    const holder = createGoToAuth(options);
    const waiter = createGoToAuth(options);
    const first = holder.getToken();
    await until(() => grants === 1);
    const second = waiter.getToken();
    await until(() => attempts === 2);
    // Each step lets the waiter's poll fire and waits for its next try at the lock.
    for (let ms = 100; ms <= 2_500; ms += 100) {
      const tried = attempts;
      clock.advance(100);
      await until(() => attempts > tried);
    }
    expect(acquired).toBe(1);
    expect(grants).toBe(1);
    answers[0]?.(token('only', 3600));
    await expect(first).resolves.toMatchObject({ accessToken: 'only' });
    clock.advance(100);
    await expect(second).resolves.toMatchObject({ accessToken: 'only' });
    expect(grants).toBe(1);
    await Promise.all([holder.close(), waiter.close()]);
  });

  it('starts over when the lock is lost before a grant, and gives up after 3 losses', async () => {
    const clock = new ManualClock(START);
    const inner = new MemoryTokenStore({ now: clock.now });
    let extends_ = 0;
    const store: TokenStore = {
      get: (k) => inner.get(k),
      set: (k, t, ttl, e) => inner.set(k, t, ttl, e),
      delete: (k) => inner.delete(k),
      lock: async () => ({
        release: async () => {},
        extend: async () => {
          extends_++;
          return false;
        },
      }),
    };
    const { auth, requests } = setup([], { store, retry: false, now: clock.now, timers: clock });
    await expect(auth.getToken()).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: 'Lost the refresh lock repeatedly before a grant.',
    });
    expect(extends_).toBe(3);
    expect(requests).toHaveLength(0);
  });

  it('goes on when extending the lock fails, if the store errors are local', async () => {
    const clock = new ManualClock(START);
    const inner = new MemoryTokenStore({ now: clock.now });
    const store: TokenStore = {
      get: (k) => inner.get(k),
      set: (k, t, ttl, e) => inner.set(k, t, ttl, e),
      delete: (k) => inner.delete(k),
      lock: async () => ({
        release: async () => {},
        extend: async () => {
          throw new Error('no extend');
        },
      }),
    };
    const local = setup([], { store, onStoreError: 'local', now: clock.now, timers: clock });
    await expect(local.auth.getToken()).resolves.toMatchObject({ accessToken: 't1' });
    expect(local.events.filter((e) => e.type === 'warning')).toMatchObject([
      { message: 'The token store failed on extend (Error: no extend).' },
    ]);
    const failing = setup([], { store, retry: false, userId: 'u2', now: clock.now, timers: clock });
    await expect(failing.auth.getToken()).rejects.toMatchObject({ code: 'STORE_ERROR' });
    expect(failing.requests).toHaveLength(0);
  });
});
