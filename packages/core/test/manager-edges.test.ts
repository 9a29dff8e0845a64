/**
 * The manager at the edges: close() racing work, late timers, failures while an old token
 * still serves, lost compare-and-set, malformed store entries and noisy listeners.
 */
import { describe, expect, it } from 'vitest';
import {
  createGoToAuth,
  type GoToAuthEvent,
  type GoToAuthOptions,
  MemoryTokenStore,
  type TokenStore,
} from '../src/index.js';
import { ManualClock, onManualClock, settle, until } from './helpers.js';

const START = Date.UTC(2026, 0, 1);
const NO_TIMERS = { setTimeout: () => 0, clearTimeout: () => {} };

function setup(
  answers: (() => Response | Promise<Response>)[],
  options: Partial<GoToAuthOptions> = {},
) {
  const clock = new ManualClock(START);
  const events: GoToAuthEvent[] = [];
  const logs: string[] = [];
  const bodies: string[] = [];
  let n = 0;
  const auth = createGoToAuth({
    ...onManualClock(clock),
    logger: { warn: (m) => logs.push(`warn ${m}`), error: (m) => logs.push(`error ${m}`) },
    onEvent: (e) => events.push(e),
    fetch: (async (_url: string, init: RequestInit) => {
      bodies.push(String(init.body));
      const answer = answers[Math.min(n++, answers.length - 1)];
      return answer === undefined
        ? Response.json({
            access_token: `access-${n}`,
            expires_in: 600,
            refresh_token: `refresh-${n}`,
          })
        : answer();
    }) as unknown as typeof fetch,
    ...options,
  });
  return { auth, clock, events, logs, bodies };
}

const ok =
  (access: string, extra: Record<string, unknown> = {}) =>
  () =>
    Response.json({ access_token: access, expires_in: 600, ...extra });

describe('close()', () => {
  it('stops the refresh timer, and a second close changes nothing', async () => {
    const { auth, clock } = setup([]);
    await auth.getToken();
    expect(clock.pending).toBe(1);
    await auth.close();
    expect(clock.pending).toBe(0);
    await auth.close();
    expect(auth.closed).toBe(true);
  });

  it('ignores a refresh timer that fires after close', async () => {
    const fired: (() => void)[] = [];
    const { auth, bodies } = setup([], {
      timers: { setTimeout: (callback) => fired.push(callback), clearTimeout: () => {} },
    });
    await auth.getToken();
    await auth.close();
    for (const callback of fired) callback();
    await settle(5);
    expect(bodies).toHaveLength(1);
  });

  it('touches no store and reports nothing once closed', async () => {
    const inner = new MemoryTokenStore();
    let gets = 0;
    const store: TokenStore = {
      get: (k) => {
        gets++;
        return inner.get(k);
      },
      set: (k, t, ttl, e) => inner.set(k, t, ttl, e),
      delete: (k) => inner.delete(k),
      lock: (k, ttl) => inner.lock(k, ttl),
    };
    const { auth, events, logs } = setup([], { store });
    await auth.close();
    await expect(auth.getToken()).rejects.toMatchObject({ code: 'CLOSED' });
    expect(gets).toBe(0);
    expect(events).toEqual([]);
    expect(logs).toEqual([]);
  });

  it('ends a refresh that waits in a back-off without another store call, event or log', async () => {
    let gets = 0;
    const inner = new MemoryTokenStore();
    const store: TokenStore = {
      get: (k) => {
        gets++;
        return inner.get(k);
      },
      set: (k, t, ttl, e) => inner.set(k, t, ttl, e),
      delete: (k) => inner.delete(k),
      lock: (k, ttl) => inner.lock(k, ttl),
    };
    const { auth, events, logs } = setup([() => new Response('', { status: 503 })], {
      store,
      retry: { limit: 3, baseDelay: 1000, maxDelay: 1000 },
    });
    const waiting = auth.getToken().catch((e: unknown) => e);
    await until(() => events.some((e) => e.type === 'refresh-failed'));
    const before = { gets, events: events.length };
    await auth.close();
    expect(await waiting).toMatchObject({ code: 'CLOSED' });
    await settle(5);
    expect({ gets, events: events.length }).toEqual(before);
    expect(logs).toEqual([]);
  });

  it('ends a refresh grant cut by close without a fallback, warning or failed request', async () => {
    let sent = 0;
    const { auth, clock, events } = setup([], {
      timers: NO_TIMERS,
      fetch: (async (_url: string, init: RequestInit) => {
        sent++;
        if (sent === 1) return ok('access-a', { refresh_token: 'refresh-a' })();
        // The refresh: fetch rejects when the request is aborted, as fetch does.
        return new Promise<Response>((_resolve, reject) =>
          init.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
        );
      }) as unknown as typeof fetch,
    });
    await auth.getToken();
    clock.advance(600_000);
    const waiting = auth.getToken().catch((e: unknown) => e);
    await until(() => sent === 2);
    const before = events.length;
    await auth.close();
    expect(await waiting).toMatchObject({ code: 'CLOSED' });
    await settle(5);
    expect(sent).toBe(2);
    expect(events.slice(before)).toEqual([]);
  });
});

describe('the refresh timer', () => {
  it('starts no second refresh when it fires while one runs', async () => {
    const fired: (() => void)[] = [];
    let release: (() => void) | undefined;
    const { auth, clock, bodies } = setup(
      [
        ok('access-a'),
        () =>
          new Promise<Response>((resolve) => {
            release = () => resolve(ok('access-b')());
          }),
      ],
      { timers: { setTimeout: (callback) => fired.push(callback), clearTimeout: () => {} } },
    );
    await auth.getToken();
    clock.advance(600_000);
    const waiting = auth.getToken();
    await until(() => release !== undefined);
    for (const callback of fired.splice(0)) callback(); // late: a refresh already runs
    await settle(5);
    expect(bodies).toHaveLength(2);
    release?.();
    expect((await waiting).accessToken).toBe('access-b');
  });

  it('tries again when the cool-down of a transient failure ends, while the old token serves', async () => {
    const { auth, clock, bodies, events } = setup(
      [ok('access-a'), () => new Response('', { status: 503 }), ok('access-b')],
      { retry: { limit: 0, baseDelay: 1000, maxDelay: 1000 } },
    );
    await auth.getToken();
    clock.advance(450_000); // the refresh timer; the refresh fails
    await until(() => events.some((e) => e.type === 'refresh-failed'));
    await settle(5);
    const { retryAt, at } = auth.status().lastError ?? { retryAt: 0, at: 0 };
    expect(retryAt).toBeGreaterThan(at);
    clock.advance(retryAt - clock.now() - 1);
    await settle(5);
    expect(bodies).toHaveLength(2);
    clock.advance(1);
    await until(() => bodies.length === 3);
    await until(() => auth.status().lastError === undefined);
    expect((await auth.getToken()).accessToken).toBe('access-b');
  });

  it('hands a waiting caller the old token when the refresh is refused while it serves', async () => {
    let release: (() => void) | undefined;
    const { auth, clock } = setup([
      ok('access-a'),
      () =>
        new Promise<Response>((resolve) => {
          release = () => resolve(new Response('', { status: 401 }));
        }),
    ]);
    await auth.getToken();
    clock.advance(450_000); // the refresh timer starts the refresh
    await until(() => release !== undefined);
    // A caller that cannot take the old token from the cache waits on the refresh.
    auth.invalidate('not-the-token');
    const waiting = auth.getToken({ signal: new AbortController().signal });
    release?.();
    expect((await waiting).accessToken).toBe('access-a');
  });
});

describe('cool-downs', () => {
  it('counts only refusals towards the doubling', async () => {
    const { auth, clock } = setup([
      () => new Response('', { status: 503 }),
      () => new Response('', { status: 503 }),
      () => new Response('', { status: 401 }),
    ]);
    for (let i = 0; i < 3; i++) {
      await auth.getToken().catch(() => {});
      const error = auth.status().lastError;
      clock.advance((error?.retryAt ?? 0) - clock.now());
    }
    const last = auth.status().lastError;
    expect(last?.code).toBe('INVALID_CLIENT');
    expect((last?.retryAt ?? 0) - (last?.at ?? 0)).toBe(30_000);
  });

  it('lifts a transient cool-down when GoTo rejects the old token, but not a refusal', async () => {
    const transient = setup(
      [ok('access-a'), () => new Response('', { status: 503 }), ok('access-c')],
      {
        timers: NO_TIMERS,
      },
    );
    await transient.auth.getToken();
    transient.clock.advance(450_000);
    await transient.auth.getToken(); // the refresh fails; the old token serves
    expect(transient.auth.status().lastError?.code).toBe('SERVER_ERROR');
    transient.auth.invalidate('access-a');
    expect((await transient.auth.getToken()).accessToken).toBe('access-c');

    const refused = setup(
      [ok('access-a'), () => new Response('', { status: 401 }), ok('access-c')],
      {
        timers: NO_TIMERS,
      },
    );
    await refused.auth.getToken();
    refused.clock.advance(450_000);
    await refused.auth.getToken();
    refused.auth.invalidate('access-a');
    await expect(refused.auth.getToken()).rejects.toMatchObject({ code: 'INVALID_CLIENT' });
    expect(refused.bodies).toHaveLength(2);
  });
});

describe('the store', () => {
  it('keeps the minted token when another write came first and the store has nothing newer', async () => {
    const store: TokenStore = {
      get: async () => undefined,
      set: async () => undefined,
      delete: async () => {},
      lock: async () => ({ release: async () => {} }),
    };
    const { auth } = setup([ok('access-a')], { store });
    const token = await auth.getToken();
    expect(token.accessToken).toBe('access-a');
    expect(auth.status().state).toBe('valid');
  });

  it('reports a malformed store entry as UNEXPECTED_ERROR with its cause', async () => {
    const store: TokenStore = {
      get: async () => ({ version: 1 }) as never,
      set: async () => 1,
      delete: async () => {},
      lock: async () => ({ release: async () => {} }),
    };
    const { auth } = setup([], { store });
    const error = (await auth.getToken().catch((e: unknown) => e)) as Error & { code: string };
    expect(error.code).toBe('UNEXPECTED_ERROR');
    expect(error.message).toMatch(/^Unexpected failure while getting a token \(TypeError: /);
    expect(error.cause).toBeInstanceOf(TypeError);
  });

  it('drops the cause of a failure whose stack carries a secret', async () => {
    const leaky = Object.assign(new Error('down'), { stack: 'Error: down\n at connect(password)' });
    const store: TokenStore = {
      get: async () => {
        throw leaky;
      },
      set: async () => 1,
      delete: async () => {},
      lock: async () => ({ release: async () => {} }),
    };
    const { auth } = setup([], { store });
    const error = (await auth.getToken().catch((e: unknown) => e)) as Error;
    expect(error.message).toBe('The token store failed on get (Error: down).');
    expect(error.cause).toBeUndefined();
  });

  it('names the code of each store warning in the event and the log', async () => {
    const inner = new MemoryTokenStore();
    const store: TokenStore = {
      get: (k) => inner.get(k),
      set: async () => {
        throw new Error('full');
      },
      delete: (k) => inner.delete(k),
      lock: async () => {
        throw new Error('busy');
      },
    };
    const { auth, events, logs } = setup([], { store, onStoreError: 'local' });
    await auth.getToken();
    const warnings = events.filter((e) => e.type === 'warning');
    expect(warnings).toStrictEqual([
      {
        type: 'warning',
        code: 'STORE_UNAVAILABLE',
        message: 'The token store failed on lock (Error: busy).',
      },
      {
        type: 'warning',
        code: 'STORE_UNAVAILABLE',
        message: 'Could not save the new token to the store (Error: full).',
      },
    ]);
    expect(logs).toEqual([
      'warn [goto-auth] STORE_UNAVAILABLE: The token store failed on lock (Error: busy).',
      'warn [goto-auth] STORE_UNAVAILABLE: Could not save the new token to the store (Error: full).',
    ]);
  });

  it('gives up a refresh grant when the lock is lost each time before it', async () => {
    const inner = new MemoryTokenStore();
    let lose = false;
    const store: TokenStore = {
      get: (k) => inner.get(k),
      set: (k, t, ttl, e) => inner.set(k, t, ttl, e),
      delete: (k) => inner.delete(k),
      lock: async () => ({ release: async () => {}, extend: async () => !lose }),
    };
    const { auth, clock, bodies } = setup([ok('access-a', { refresh_token: 'refresh-a' })], {
      store,
      timers: NO_TIMERS,
    });
    await auth.getToken();
    lose = true;
    clock.advance(600_000);
    await expect(auth.getToken()).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: 'Lost the refresh lock repeatedly before a grant.',
    });
    expect(bodies).toHaveLength(1);
  });
});

describe('the refresh grant', () => {
  it('warns without a status when the refresh answer is unusable', async () => {
    const { auth, clock, events } = setup(
      [
        ok('access-a', { refresh_token: 'refresh-a' }),
        () => new Response('not json'),
        ok('access-b'),
      ],
      { timers: NO_TIMERS },
    );
    await auth.getToken();
    clock.advance(600_000);
    expect((await auth.getToken()).accessToken).toBe('access-b');
    expect(events.filter((e) => e.type === 'warning')).toStrictEqual([
      {
        type: 'warning',
        code: 'REFRESH_UNAVAILABLE',
        message:
          'The refresh grant failed (INVALID_RESPONSE); the refresh token was dropped for one password grant.',
      },
    ]);
  });

  it('names every dropped field once in one warning', async () => {
    const { auth, events } = setup([ok('access-a', { email: 5.5, platform: { a: 1 } })]);
    await auth.getToken();
    expect(events.filter((e) => e.type === 'warning')).toStrictEqual([
      {
        type: 'warning',
        code: 'RESPONSE_FIELD_DROPPED',
        message:
          'GoTo\'s token response had "email", "platform" of an unexpected type; dropped, the token is kept.',
      },
    ]);
  });

  it('uses a refresh token until it expires, and never without a client secret', async () => {
    const expiring = setup(
      [
        ok('access-a', { refresh_token: 'refresh-a', refresh_token_expires_in: 1200 }),
        ok('access-b'), // a refresh answer without a refresh token: the old one lives on
        ok('access-c'),
      ],
      { timers: NO_TIMERS },
    );
    await expiring.auth.getToken();
    expiring.clock.advance(600_000);
    await expiring.auth.getToken();
    expiring.clock.advance(600_000); // the refresh token expires right now
    await expiring.auth.getToken();
    expect(expiring.bodies.map((b) => new URLSearchParams(b).get('grant_type'))).toEqual([
      'password',
      'refresh_token',
      'password',
    ]);
    const noSecret = setup([ok('access-a', { refresh_token: 'refresh-a' })], {
      timers: NO_TIMERS,
      clientSecret: undefined,
    });
    await noSecret.auth.getToken();
    noSecret.clock.advance(600_000);
    await noSecret.auth.getToken();
    expect(noSecret.bodies.map((b) => new URLSearchParams(b).get('grant_type'))).toEqual([
      'password',
      'password',
    ]);
  });
});

describe('personal access tokens', () => {
  it('keep one store entry per token', async () => {
    const store = new MemoryTokenStore();
    const make = (pat: string) =>
      setup([], {
        store,
        userId: undefined,
        password: undefined,
        personalAccessToken: pat,
      });
    const one = make('pat-one');
    const two = make('pat-two');
    await one.auth.getToken();
    await two.auth.getToken();
    expect(one.bodies).toHaveLength(1);
    expect(two.bodies).toHaveLength(1);
    const again = make('pat-one');
    await again.auth.getToken();
    expect(again.bodies).toHaveLength(0);
  });
});

describe('listeners', () => {
  it('survive a throwing listener when no logger is set', async () => {
    const { auth } = setup([], { logger: false });
    auth.on('token', () => {
      throw new Error('bug');
    });
    await expect(auth.getToken()).resolves.toMatchObject({ accessToken: 'access-1' });
  });
});
