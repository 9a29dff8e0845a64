/**
 * Single flight and cool-downs counted where the in-memory store's lock cannot hide a slip: a
 * store that lends its lock to everyone, so every extra flight would send a request.
 */
import { describe, expect, it } from 'vitest';
import {
  createGoToAuth,
  type GoToAuthEvent,
  type GoToAuthOptions,
  type TokenStore,
} from '../src/index.js';
import { ManualClock, onManualClock, settle, until } from './helpers.js';

const NO_TIMERS = { setTimeout: () => 0, clearTimeout: () => {} };

/** A store that keeps one entry and lends its lock to every caller. */
function lenientStore(): TokenStore {
  let entry: { token: never; version: number } | undefined;
  return {
    get: async () => entry,
    set: async (_key, token, _ttl, expected) => {
      if (entry?.version !== expected) return undefined;
      entry = { token: token as never, version: (entry?.version ?? 0) + 1 };
      return entry.version;
    },
    delete: async () => {
      entry = undefined;
    },
    lock: async () => ({ release: async () => {} }),
  };
}

function setup(
  answers: (() => Response | Promise<Response>)[],
  options: Partial<GoToAuthOptions> = {},
) {
  const clock = new ManualClock();
  const events: GoToAuthEvent[] = [];
  const bodies: string[] = [];
  let n = 0;
  const auth = createGoToAuth({
    ...onManualClock(clock),
    logger: false,
    store: lenientStore(),
    onEvent: (e) => events.push(e),
    fetch: (async (_url: string, init: RequestInit) => {
      bodies.push(String(init.body));
      const answer = answers[Math.min(n++, answers.length - 1)];
      return answer === undefined
        ? Response.json({ access_token: `access-${n}`, expires_in: 600 })
        : answer();
    }) as unknown as typeof fetch,
    ...options,
  });
  return { auth, clock, events, bodies };
}

describe('single flight without the store lock', () => {
  it('starts no second refresh when the refresh timer fires while one runs', async () => {
    const fired: (() => void)[] = [];
    let release: (() => void) | undefined;
    const { auth, clock, bodies } = setup(
      [
        () => Response.json({ access_token: 'access-a', expires_in: 600 }),
        () =>
          new Promise<Response>((resolve) => {
            release = () => resolve(Response.json({ access_token: 'access-b', expires_in: 600 }));
          }),
        () => Response.json({ access_token: 'access-extra', expires_in: 600 }),
      ],
      { timers: { setTimeout: (callback) => fired.push(callback), clearTimeout: () => {} } },
    );
    await auth.getToken();
    clock.advance(600_000);
    const waiting = auth.getToken();
    await until(() => release !== undefined);
    for (const callback of fired.splice(0)) callback();
    await settle(10);
    expect(bodies).toHaveLength(2);
    release?.();
    expect((await waiting).accessToken).toBe('access-b');
    await settle(10);
    expect(bodies).toHaveLength(2);
  });

  it('sends one grant for 100 callers at expiry', async () => {
    const { auth, clock, bodies } = setup([], { timers: NO_TIMERS });
    await auth.getToken();
    clock.advance(600_000);
    const tokens = await Promise.all(Array.from({ length: 100 }, () => auth.getToken()));
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
    expect(bodies).toHaveLength(2);
  });
});

describe('cool-downs', () => {
  it('lifts a transient cool-down when GoTo rejects the old token', async () => {
    const { auth, clock, bodies } = setup(
      [
        () => Response.json({ access_token: 'access-a', expires_in: 600 }),
        () => new Response('', { status: 503 }),
        () => Response.json({ access_token: 'access-c', expires_in: 600 }),
      ],
      { timers: NO_TIMERS, retry: { limit: 0, baseDelay: 1000, maxDelay: 1000 } },
    );
    await auth.getToken();
    clock.advance(450_000);
    await auth.getToken(); // the refresh fails; the old token serves; a 1 s cool-down starts
    const failure = auth.status().lastError;
    expect((failure?.retryAt ?? 0) - (failure?.at ?? 0)).toBe(1000);
    auth.invalidate('access-a');
    expect((await auth.getToken()).accessToken).toBe('access-c');
    expect(bodies).toHaveLength(3);
  });
});

describe('secrets of the store', () => {
  it('redacts a refresh token read from the store from what GoTo says about it', async () => {
    const store = lenientStore();
    const { normalizeTokenResponse } = await import('../src/index.js');
    const { auth, clock, events } = setup(
      [
        () =>
          Response.json(
            { error: 'invalid_request', error_description: 'no such stored-refresh-xyz' },
            { status: 400 },
          ),
        () => Response.json({ access_token: 'access-b', expires_in: 600 }),
      ],
      { store, timers: NO_TIMERS },
    );
    // Another process's token, due for refresh, with a refresh token this object never saw.
    await store.set(
      'any',
      normalizeTokenResponse(
        { access_token: 'other-access', refresh_token: 'stored-refresh-xyz', expires_in: 600 },
        clock.now() - 550_000,
      ),
      1,
      undefined,
    );
    expect((await auth.getToken()).accessToken).toBe('access-b');
    expect(events.some((e) => e.type === 'refresh-failed')).toBe(true);
    expect(JSON.stringify(events)).not.toContain('stored-refresh-xyz');
  });
});

describe('without a client secret', () => {
  it('never tries the refresh grant: no failed request, no warning', async () => {
    const { auth, clock, events } = setup(
      [
        () =>
          Response.json({ access_token: 'access-a', refresh_token: 'refresh-a', expires_in: 600 }),
      ],
      { timers: NO_TIMERS, clientSecret: undefined },
    );
    await auth.getToken();
    clock.advance(600_000);
    await auth.getToken();
    expect(
      events.filter((e) => e.type === 'request').map((e) => (e as { grant: string }).grant),
    ).toEqual(['password', 'password']);
    expect(events.some((e) => e.type === 'warning' || e.type === 'refresh-failed')).toBe(false);
  });
});

describe('a throwing listener without a logger', () => {
  it('leaves the token valid and no error behind', async () => {
    const { auth } = setup([]);
    auth.on('token', () => {
      throw new Error('bug');
    });
    await auth.getToken();
    expect(auth.status()).toMatchObject({ state: 'valid', lastError: undefined });
  });
});
