/**
 * What `createGoToAuth` refuses, with which message, and the defaults it fills in, seen from
 * outside: the requests it sends, the timers it sets, the store calls it makes.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createGoToAuth,
  type GoToAuthEvent,
  type GoToAuthOptions,
  MemoryTokenStore,
  type TimerProvider,
  type TokenStore,
} from '../src/index.js';
import { settle, until } from './helpers.js';

const BASE = { clientId: 'c', clientSecret: 's', userId: 'u', password: 'p' };

function refusal(options: Record<string, unknown>): unknown {
  try {
    createGoToAuth(options as unknown as GoToAuthOptions);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('createGoToAuth refuses unusable options', () => {
  it.each([
    [null, 'createGoToAuth: options are required.'],
    ['text', 'createGoToAuth: options are required.'],
    [
      { ...BASE, clientId: undefined },
      'createGoToAuth: "clientId" is required and must be a non-empty string.',
    ],
    [
      { ...BASE, clientId: '  ' },
      'createGoToAuth: "clientId" is required and must be a non-empty string.',
    ],
    [
      { ...BASE, clientId: 5 },
      'createGoToAuth: "clientId" is required and must be a non-empty string.',
    ],
    [
      { ...BASE, userId: '' },
      'createGoToAuth: "userId" is required and must be a non-empty string.',
    ],
    [
      { ...BASE, password: undefined },
      'createGoToAuth: "password" is required and must be a non-empty string.',
    ],
    [
      { ...BASE, personalAccessToken: '' },
      'createGoToAuth: "personalAccessToken" is required and must be a non-empty string.',
    ],
    [
      { clientId: 'c', clientSecret: 's', personalAccessToken: 'pat', userId: 'u' },
      'createGoToAuth: give either "userId" and "password", or "personalAccessToken", not both.',
    ],
    [
      { clientId: 'c', clientSecret: 's', personalAccessToken: 'pat', password: 'p' },
      'createGoToAuth: give either "userId" and "password", or "personalAccessToken", not both.',
    ],
    [{ ...BASE, clientSecret: 5 }, 'createGoToAuth: "clientSecret" must be a string.'],
    [{ ...BASE, endpoint: 'v3' }, 'createGoToAuth: "endpoint" must be "legacy" or "v2".'],
    [
      { clientId: 'c', personalAccessToken: 'pat' },
      'createGoToAuth: a "personalAccessToken" needs "clientSecret" for HTTP Basic client auth.',
    ],
    [
      { clientId: 'c', clientSecret: '', personalAccessToken: 'pat' },
      'createGoToAuth: a "personalAccessToken" needs "clientSecret" for HTTP Basic client auth.',
    ],
    [
      { ...BASE, clientSecret: '', endpoint: 'v2' },
      'createGoToAuth: the "v2" endpoint needs "clientSecret" for HTTP Basic client auth.',
    ],
    [{ ...BASE, baseUrl: 'nope' }, 'createGoToAuth: "baseUrl" is not a valid URL.'],
    [
      { ...BASE, authUrl: 'https://u:p@example.com' },
      'createGoToAuth: "authUrl" must not contain a user name or password.',
    ],
    [
      { ...BASE, authUrl: 'https://user@example.com' },
      'createGoToAuth: "authUrl" must not contain a user name or password.',
    ],
    [
      { ...BASE, authUrl: 'https://:secret@example.com' },
      'createGoToAuth: "authUrl" must not contain a user name or password.',
    ],
    [
      { ...BASE, tokenUrl: 'https://example.com/t?x=1' },
      'createGoToAuth: "tokenUrl" must not have a query string or fragment.',
    ],
    [
      { ...BASE, refreshUrl: 'https://example.com/t#x' },
      'createGoToAuth: "refreshUrl" must not have a query string or fragment.',
    ],
    [
      { ...BASE, timeout: 0 },
      'createGoToAuth: "timeout" must be a number of milliseconds of at least 1.',
    ],
    [
      { ...BASE, timeout: Number.NaN },
      'createGoToAuth: "timeout" must be a number of milliseconds of at least 1.',
    ],
    [
      { ...BASE, timeout: Number.POSITIVE_INFINITY },
      'createGoToAuth: "timeout" must be a number of milliseconds of at least 1.',
    ],
    [
      { ...BASE, timeout: '5' },
      'createGoToAuth: "timeout" must be a number of milliseconds of at least 1.',
    ],
    [
      { ...BASE, retry: { limit: -1 } },
      'createGoToAuth: "retry.limit" must be a number of milliseconds of at least 0.',
    ],
    [
      { ...BASE, retry: { baseDelay: -1 } },
      'createGoToAuth: "retry.baseDelay" must be a number of milliseconds of at least 0.',
    ],
    [
      { ...BASE, retry: { maxDelay: -0.5 } },
      'createGoToAuth: "retry.maxDelay" must be a number of milliseconds of at least 0.',
    ],
    [
      { ...BASE, refreshMargin: -1 },
      'createGoToAuth: "refreshMargin" must be a number of milliseconds of at least 0.',
    ],
    [
      { ...BASE, minGrantInterval: -1 },
      'createGoToAuth: "minGrantInterval" must be a number of milliseconds of at least 0.',
    ],
    [
      { ...BASE, lockTtl: 0 },
      'createGoToAuth: "lockTtl" must be a number of milliseconds of at least 1.',
    ],
    [
      { ...BASE, lockPollInterval: 0.5 },
      'createGoToAuth: "lockPollInterval" must be a number of milliseconds of at least 1.',
    ],
    [
      { ...BASE, maxResponseBytes: 0 },
      'createGoToAuth: "maxResponseBytes" must be a number of milliseconds of at least 1.',
    ],
    [
      { ...BASE, onStoreError: 'ignore' },
      'createGoToAuth: "onStoreError" must be "fail" or "local".',
    ],
    [{ ...BASE, fetch: 'fetch' }, 'createGoToAuth: no fetch is available; pass one as "fetch".'],
    [
      { ...BASE, store: { get() {}, set() {}, delete() {} } },
      'createGoToAuth: "store" has no lock().',
    ],
    [
      { ...BASE, store: { set() {}, delete() {}, lock() {} } },
      'createGoToAuth: "store" has no get().',
    ],
    [
      { ...BASE, store: { get() {}, delete() {}, lock() {} } },
      'createGoToAuth: "store" has no set().',
    ],
    [
      { ...BASE, store: { get() {}, set() {}, lock() {} } },
      'createGoToAuth: "store" has no delete().',
    ],
  ])('refuses %o', (options, message) => {
    expect(refusal(options as Record<string, unknown>)).toMatchObject({
      code: 'INVALID_OPTIONS',
      message,
    });
  });

  it('accepts the smallest allowed values', () => {
    expect(
      refusal({
        ...BASE,
        timeout: 1,
        retry: { limit: 0, baseDelay: 0, maxDelay: 0 },
        refreshMargin: 0,
        minGrantInterval: 0,
        lockTtl: 1,
        lockPollInterval: 1,
        maxResponseBytes: 1,
        onStoreError: 'local',
        endpoint: 'v2',
      }),
    ).toBeUndefined();
    expect(refusal({ ...BASE, onStoreError: 'fail', endpoint: 'legacy' })).toBeUndefined();
    expect(
      refusal({ clientId: 'c', clientSecret: 's', personalAccessToken: 'pat' }),
    ).toBeUndefined();
  });

  it.each([
    ['http://127.0.0.1:1', true],
    ['http://127.255.0.9', true],
    ['http://LOCALHOST:1', true],
    ['http://[::1]:1', true],
    ['http://app.localhost', false],
    ['http://127.0.0.1.example.com', false],
    ['http://127.0.0.1x', false],
    ['http://[::2]', false],
    ['http://10.0.0.1', false],
    ['ftp://127.0.0.1', false],
  ])('allows http:// to %s only on loopback (%s)', (baseUrl, allowed) => {
    const error = refusal({ ...BASE, baseUrl });
    if (allowed) expect(error).toBeUndefined();
    else {
      expect(error).toMatchObject({ code: 'INSECURE_ENDPOINT' });
      expect((error as Error).message).toBe(
        `createGoToAuth: "baseUrl" must use https:// (http:// is allowed only for loopback hosts); got ${new URL(baseUrl).protocol}//${new URL(baseUrl).host}.`,
      );
    }
  });
});

/** A fetch that records each request and answers with a token. */
function recordingFetch(
  answer: () => Response = () =>
    Response.json({ access_token: 'a', expires_in: 3600, refresh_token: 'r' }),
) {
  const requests: { url: string; init: RequestInit }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    requests.push({ url, init });
    return answer();
  }) as unknown as typeof globalThis.fetch;
  return { fetch, requests };
}

/** Timers that never fire and record every delay asked for. */
function recordingTimers(): TimerProvider & { delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    setTimeout: (_callback, ms) => {
      delays.push(ms);
      return delays.length;
    },
    clearTimeout: () => {},
  };
}

describe('the defaults', () => {
  it('sends the legacy password grant to api.getgo.com and refreshes at the authentication host', async () => {
    const { fetch, requests } = recordingFetch();
    let now = 1_000_000;
    const a = createGoToAuth({ ...BASE, fetch, logger: false, now: () => now });
    await a.getToken();
    now += 3_600_000;
    await a.getToken();
    expect(requests.map((r) => r.url)).toEqual([
      'https://api.getgo.com/oauth/access_token',
      'https://authentication.logmeininc.com/oauth/token',
    ]);
    expect(a.baseUrl).toBe('https://api.getgo.com');
    await a.close();
  });

  it('sends the v2 grant and the refresh to the authentication host, and a given baseUrl serves for both', async () => {
    const { fetch, requests } = recordingFetch();
    const v2 = createGoToAuth({ ...BASE, endpoint: 'v2', fetch, logger: false });
    await v2.getToken();
    const own = createGoToAuth({
      ...BASE,
      baseUrl: 'https://goto.example//',
      endpoint: 'v2',
      fetch,
      logger: false,
    });
    await own.getToken();
    const legacy = createGoToAuth({
      ...BASE,
      baseUrl: 'https://goto.example/',
      fetch,
      logger: false,
    });
    await legacy.getToken();
    expect(requests.map((r) => r.url)).toEqual([
      'https://authentication.logmeininc.com/oauth/token',
      'https://goto.example/oauth/token',
      'https://goto.example/oauth/access_token',
    ]);
    expect(own.baseUrl).toBe('https://goto.example');
    await Promise.all([v2.close(), own.close(), legacy.close()]);
  });

  it('gives a GoTo request 10 s, and holds the store lock for 2 × timeout + 5 s', async () => {
    const timers = recordingTimers();
    const ttls: number[] = [];
    const inner = new MemoryTokenStore();
    const store: TokenStore = {
      get: (key) => inner.get(key),
      set: (key, token, ttl, expected) => inner.set(key, token, ttl, expected),
      delete: (key) => inner.delete(key),
      lock: (key, ttl) => {
        ttls.push(ttl);
        return inner.lock(key, ttl);
      },
    };
    const { fetch } = recordingFetch();
    const a = createGoToAuth({ ...BASE, fetch, logger: false, timers, store });
    await a.getToken();
    expect(timers.delays[0]).toBe(10_000);
    const b = createGoToAuth({
      ...BASE,
      userId: 'v',
      fetch,
      logger: false,
      timers,
      store,
      timeout: 2_000,
    });
    await b.getToken();
    expect(ttls).toEqual([25_000, 9_000]);
  });

  it('refreshes 5 min before expiry, or at three quarters of a short lifetime', async () => {
    const now = 1_000_000;
    const long = createGoToAuth({
      ...BASE,
      fetch: recordingFetch().fetch,
      logger: false,
      now: () => now,
      timers: recordingTimers(),
    });
    await long.getToken();
    expect(long.status().refreshAt).toBe(now + 3_600_000 - 300_000);
    const short = createGoToAuth({
      ...BASE,
      fetch: recordingFetch(() => Response.json({ access_token: 'a', expires_in: 600 })).fetch,
      logger: false,
      now: () => now,
      timers: recordingTimers(),
    });
    await short.getToken();
    expect(short.status().refreshAt).toBe(now + 600_000 - 150_000);
  });

  it('retries 3 times, the first after 250 to 500 ms', async () => {
    const timers = recordingTimers();
    let calls = 0;
    const a = createGoToAuth({
      ...BASE,
      logger: false,
      timers,
      fetch: (async () => {
        calls++;
        return new Response('down', { status: 503 });
      }) as unknown as typeof fetch,
    });
    const events: GoToAuthEvent[] = [];
    a.on('refresh-failed', (e) => events.push(e));
    void a.getToken().catch(() => {});
    await until(() => events.length === 1);
    const retryIn = (events[0] as { retryIn: number }).retryIn;
    expect(retryIn).toBeGreaterThanOrEqual(250);
    expect(retryIn).toBeLessThanOrEqual(500);
    expect(calls).toBe(1);
    await a.close();
  });

  it('makes a retry limit a whole number, and retry: false makes one attempt', async () => {
    const attempts = async (retry: GoToAuthOptions['retry']) => {
      let calls = 0;
      const a = createGoToAuth({
        ...BASE,
        logger: false,
        retry,
        timers: { setTimeout: (callback) => setImmediate(callback), clearTimeout: () => {} },
        fetch: (async () => {
          calls++;
          return new Response('down', { status: 503 });
        }) as unknown as typeof fetch,
      });
      const error = await a.getToken().catch((e: unknown) => e);
      await a.close();
      return { calls, attempts: (error as { attempts?: number }).attempts };
    };
    expect(await attempts(false)).toEqual({ calls: 1, attempts: undefined });
    expect(await attempts({ limit: 2.7, baseDelay: 0, maxDelay: 0 })).toEqual({
      calls: 3,
      attempts: 3,
    });
    expect(await attempts({ baseDelay: 0, maxDelay: 0 })).toEqual({ calls: 4, attempts: 4 });
  });

  it('waits 5 s between grants after a rejection', async () => {
    const timers = recordingTimers();
    let now = 1_000_000;
    let n = 0;
    const a = createGoToAuth({
      ...BASE,
      logger: false,
      now: () => now,
      timers,
      fetch: recordingFetch(() => Response.json({ access_token: `t${++n}`, expires_in: 3600 }))
        .fetch,
    });
    const first = await a.getToken();
    now += 1_000;
    a.invalidate(first.accessToken);
    void a.getToken().catch(() => {});
    await until(() => timers.delays.includes(4_000));
    await a.close();
  });

  it('polls a lock held elsewhere every 100 ms', async () => {
    const timers = recordingTimers();
    const store: TokenStore = {
      get: async () => undefined,
      set: async () => 1,
      delete: async () => {},
      lock: async () => undefined,
    };
    const a = createGoToAuth({
      ...BASE,
      logger: false,
      timers,
      store,
      fetch: recordingFetch().fetch,
    });
    void a.getToken().catch(() => {});
    await until(() => timers.delays.length > 0);
    expect(timers.delays).toEqual([100]);
    await a.close();
  });

  it('reads at most 64 KiB of an answer', async () => {
    const sized = (bytes: number) => {
      const body = JSON.stringify({ access_token: 'a', expires_in: 3600, pad: '' });
      const padded = body.replace('"pad":""', `"pad":"${'x'.repeat(bytes - body.length)}"`);
      return createGoToAuth({
        ...BASE,
        logger: false,
        retry: false,
        fetch: recordingFetch(() => new Response(padded)).fetch,
      });
    };
    await expect(sized(65_536).getToken()).resolves.toMatchObject({ accessToken: 'a' });
    await expect(sized(65_537).getToken()).rejects.toMatchObject({ code: 'INVALID_RESPONSE' });
  });

  it('uses the global fetch, and logs to the console unless logger is false', async () => {
    const { fetch, requests } = recordingFetch(() => new Response('no', { status: 401 }));
    vi.stubGlobal('fetch', fetch);
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const a = createGoToAuth({ ...BASE, retry: false });
      await expect(a.getToken()).rejects.toMatchObject({ code: 'INVALID_CLIENT' });
      expect(requests).toHaveLength(1);
      expect(error).toHaveBeenCalledTimes(1);
      expect(String(error.mock.calls[0]?.[0])).toMatch(/^\[goto-auth\] INVALID_CLIENT: /);
      const quiet = createGoToAuth({ ...BASE, retry: false, logger: false });
      await expect(quiet.getToken()).rejects.toMatchObject({ code: 'INVALID_CLIENT' });
      expect(error).toHaveBeenCalledTimes(1);
      const b = createGoToAuth({
        ...BASE,
        retry: false,
        fetch: recordingFetch(() => new Response('down', { status: 503 })).fetch,
      });
      await expect(b.getToken()).rejects.toMatchObject({ code: 'SERVER_ERROR' });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/^\[goto-auth\] SERVER_ERROR: /);
    } finally {
      vi.unstubAllGlobals();
      error.mockRestore();
      warn.mockRestore();
    }
  });

  it('keeps tokens in memory on the clock it was given', async () => {
    let now = 1_000_000;
    const { fetch, requests } = recordingFetch();
    const a = createGoToAuth({
      ...BASE,
      logger: false,
      now: () => now,
      fetch,
      timers: recordingTimers(),
    });
    await a.getToken();
    a.invalidate('not-the-token');
    now += 3_600_000 - 300_001;
    await a.getToken();
    expect(requests).toHaveLength(1);
  });
});

afterEach(() => settle(1));
