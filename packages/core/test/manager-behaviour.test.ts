/**
 * What the token manager, the OAuth client's principals, stored tokens and the options reader
 * do in the cases the other files leave out: a lock the store cannot give, a token delivered
 * while the lock was taken, a session ended elsewhere, a sign-in's store writes, close() during
 * a store read, the default logger, and the checks of the OAuth options.
 */
import { inspect } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createGoToAuth,
  createGoToOAuth,
  deserializeToken,
  type GoToAuthEvent,
  type GoToAuthOptions,
  type GoToOAuthOptions,
  type GoToToken,
  MemoryTokenStore,
  normalizeTokenResponse,
  type TokenStore,
  type TokenStoreEntry,
  type TokenStoreLock,
  tokenStoreKey,
} from '../src/index.js';
import {
  ManualClock,
  refusedCredentials,
  rejection,
  STUB_CREDENTIALS,
  settle,
  until,
} from './helpers.js';

const START = Date.UTC(2026, 0, 1);
const AUTH_URL = 'https://authentication.logmeininc.com';
const BASE_URL = 'https://api.getgo.com';

/** A store over a MemoryTokenStore whose calls a test can watch and change. */
class WatchedStore implements TokenStore {
  readonly inner: MemoryTokenStore;
  readonly calls: string[] = [];
  /** Runs before `get` answers; may answer instead. */
  onGet: ((key: string) => Promise<TokenStoreEntry | undefined> | undefined) | undefined;
  /** Runs before `lock` takes the lock; may throw. */
  onLock: ((key: string) => Promise<void> | void) | undefined;
  /** Replaces `set`'s answer when given. */
  onSet: ((key: string, token: GoToToken) => Promise<number | undefined>) | undefined;

  constructor(now: () => number) {
    this.inner = new MemoryTokenStore({ now });
  }

  get(key: string): Promise<TokenStoreEntry | undefined> {
    this.calls.push('get');
    return this.onGet?.(key) ?? this.inner.get(key);
  }

  set(key: string, token: GoToToken, ttlMs: number, expected: number | undefined) {
    this.calls.push('set');
    return this.onSet?.(key, token) ?? this.inner.set(key, token, ttlMs, expected);
  }

  delete(key: string): Promise<void> {
    this.calls.push('delete');
    return this.inner.delete(key);
  }

  async lock(key: string, ttlMs: number): Promise<TokenStoreLock | undefined> {
    this.calls.push('lock');
    await this.onLock?.(key);
    return this.inner.lock(key, ttlMs);
  }

  count(call: string): number {
    return this.calls.filter((c) => c === call).length;
  }
}

type Answer = (body: URLSearchParams) => Response | Promise<Response>;

/** The default answer: a token named after the request's number. */
const minted: Answer = () => Response.json({ access_token: 'minted', expires_in: 3600 });

/**
 * What the Direct Login and OAuth setups share: a manual clock, a watched store, no retries, no
 * floor, no logger, the events and the token requests' bodies recorded, a fetch that answers
 * `answer`.
 */
function stubbed(answer: Answer) {
  const clock = new ManualClock(START);
  const store = new WatchedStore(clock.now);
  const requests: URLSearchParams[] = [];
  const events: GoToAuthEvent[] = [];
  const shared = {
    now: clock.now,
    timers: clock,
    retry: false,
    minGrantInterval: 0,
    logger: false,
    store,
    onEvent: (event: GoToAuthEvent) => events.push(event),
    fetch: (async (_url: string, init: RequestInit) => {
      const body = new URLSearchParams(String(init.body));
      requests.push(body);
      return answer(body);
    }) as unknown as typeof fetch,
  } as const;
  return { clock, store, requests, events, shared };
}

/** A Direct Login auth object on a manual clock with a watched store and a stub fetch. */
function direct(answer: Answer = minted, options: Partial<GoToAuthOptions> = {}) {
  const { clock, store, requests, events, shared } = stubbed(answer);
  const auth = createGoToAuth({ ...STUB_CREDENTIALS, ...shared, ...options });
  const key = () => tokenStoreKey({ baseUrl: BASE_URL, clientId: 'client', userId: 'user' });
  return { auth, clock, store, requests, events, key };
}

/** The code exchange's answer for `principal`, with a refresh token. */
const signedIn = (principal: string, access = `a-${principal}`) =>
  Response.json({
    access_token: access,
    expires_in: 3600,
    refresh_token: `r-${principal}`,
    principal,
  });

/** An OAuth client on a manual clock with a watched store; its fetch answers `answer`. */
function oauthClient(answer: Answer, options: Partial<GoToOAuthOptions> = {}) {
  const { clock, store, requests, events, shared } = stubbed(answer);
  const oauth = createGoToOAuth({
    clientId: 'client',
    clientSecret: 'secret',
    redirectUri: 'https://app.example/callback',
    ...shared,
    ...options,
  });
  const signIn = (code: string) =>
    oauth.handleCallback(`/callback?state=s&code=${code}`, { state: 's' });
  const key = (principal: string) =>
    tokenStoreKey({ baseUrl: AUTH_URL, clientId: 'client', userId: `principal:${principal}` });
  return { oauth, clock, store, requests, events, signIn, key };
}

/** Answers a code exchange with the principal named by the code, and refreshes as told. */
function byGrant(refresh: Answer = minted): Answer {
  return (body) =>
    body.get('grant_type') === 'authorization_code'
      ? signedIn(String(body.get('code')))
      : refresh(body);
}

const refused =
  (error: string, status = 400, description?: string) =>
  () =>
    Response.json({ error, error_description: description }, { status });

describe('a store whose lock fails, with onStoreError "local"', () => {
  it('mints without the lock and serves the token', async () => {
    const { auth, store } = direct(minted, { onStoreError: 'local' });
    store.onLock = () => {
      throw new Error('lock service down');
    };
    expect((await auth.getToken()).accessToken).toBe('minted');
    expect(auth.status().lastError).toBeUndefined();
  });
});

describe('a token another process stores while this one takes the lock', () => {
  it('is taken from the store under the lock, with no grant', async () => {
    const { auth, store, requests, events, clock } = direct();
    const elsewhere = normalizeTokenResponse(
      { access_token: 'elsewhere', expires_in: 3600 },
      START,
    );
    store.onLock = async (key) => {
      await store.inner.set(key, elsewhere, 3_600_000, undefined);
    };
    expect((await auth.getToken()).accessToken).toBe('elsewhere');
    expect(requests).toHaveLength(0);
    expect(events.find((e) => e.type === 'token')).toMatchObject({ source: 'store' });
    expect(clock.now()).toBe(START);
  });
});

describe('util.inspect of an auth object', () => {
  it('shows its name and public facts only', () => {
    const { auth } = direct();
    expect(inspect(auth)).toBe(
      `GoToAuth ${JSON.stringify({ baseUrl: BASE_URL, clientId: 'client', userId: 'user', state: 'empty' })}`,
    );
  });
});

describe('the refresh timer', () => {
  it('refreshes a Direct Login token ahead of expiry without a caller', async () => {
    const { auth, clock, requests } = direct();
    await auth.getToken();
    expect(requests).toHaveLength(1);
    clock.advance(3_600_000 - 300_000);
    await until(() => requests.length === 2);
    await settle();
    expect(auth.cachedToken()?.accessToken).toBe('minted');
  });

  it('is never set for a principal: its token is refreshed on its next call', async () => {
    const { clock, requests, signIn } = oauthClient(byGrant());
    await signIn('ann');
    expect(clock.pending).toBe(0);
    clock.advance(3_600_000);
    await settle(20);
    expect(requests).toHaveLength(1);
  });
});

describe('close() while a store read is under way', () => {
  it('serves nothing from that read, and says CLOSED', async () => {
    const { auth, store, events } = direct();
    let answer!: (entry: TokenStoreEntry | undefined) => void;
    store.onGet = () =>
      new Promise((resolve) => {
        answer = resolve;
      });
    const pending = auth.getToken();
    await until(() => answer !== undefined);
    const closing = auth.close();
    const token = normalizeTokenResponse({ access_token: 'late', expires_in: 3600 }, START);
    answer({ token, version: 1 });
    await closing;
    expect((await rejection(pending)) as { code?: string }).toMatchObject({ code: 'CLOSED' });
    expect(auth.cachedToken()).toBeUndefined();
    expect((await rejection(auth.getToken())) as { code?: string }).toMatchObject({
      code: 'CLOSED',
    });
    expect(events.filter((e) => e.type === 'token')).toHaveLength(0);
  });
});

describe('a refresh token from the store that an error echoes', () => {
  it('is kept out of the messages, though this object never held it', async () => {
    const stored = deserializeToken(
      JSON.stringify({
        accessToken: 'old',
        refreshToken: 'rt-from-elsewhere',
        expiresAt: START + 1_000,
        issuedAt: START - 3_600_000,
        refreshTokenExpiresAt: START + 86_400_000,
      }),
    );
    const { auth, store, events, key } = direct((body) =>
      body.get('grant_type') === 'refresh_token'
        ? refused('invalid_request', 400, 'unknown token rt-from-elsewhere')()
        : minted(body),
    );
    await store.inner.set(await key(), stored, 86_400_000, undefined);
    expect((await auth.getToken()).accessToken).toBe('minted');
    const failed = events.find((e) => e.type === 'refresh-failed');
    expect(failed).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(JSON.stringify(events)).not.toContain('rt-from-elsewhere');
    expect(JSON.stringify(failed)).toContain('[redacted]');
  });
});

describe('a principal without a session', () => {
  it('needs a sign-in, without taking the lock or sending a request', async () => {
    const { oauth, store, requests, events } = oauthClient(byGrant());
    const failed = await rejection(oauth.getToken('nobody'));
    expect(failed).toMatchObject({
      code: 'LOGIN_REQUIRED',
      message: 'No session for this principal: sign the user in again.',
    });
    expect(store.count('lock')).toBe(0);
    expect(events.filter((e) => e.type === 'lock')).toHaveLength(0);
    expect(requests).toHaveLength(0);
  });

  it('needs a sign-in when the session ends elsewhere while the lock is taken', async () => {
    const { oauth, clock, store, requests, signIn } = oauthClient(byGrant());
    await signIn('ann');
    clock.advance(3_600_000 - 60_000); // due for refresh; the refresh token lives
    store.onLock = (key) => store.inner.delete(key); // signed out by another process
    const failed = await rejection(oauth.getToken('ann'));
    expect(failed).toMatchObject({
      code: 'LOGIN_REQUIRED',
      message: 'No session for this principal: sign the user in again.',
    });
    expect(requests.map((r) => r.get('grant_type'))).toEqual(['authorization_code']);
  });
});

describe("a principal's refused refresh", () => {
  it('ends the session in the store on invalid_grant, keeping the access token facts', async () => {
    const { oauth, clock, store, signIn, key } = oauthClient(byGrant(refused('invalid_grant')));
    await signIn('ann');
    clock.advance(3_600_000 - 60_000);
    const failed = await rejection(oauth.getToken('ann'));
    expect(failed).toMatchObject({ code: 'LOGIN_REQUIRED', status: 400 });
    const entry = await store.inner.get(await key('ann'));
    expect(entry?.token).toMatchObject({
      accessToken: 'a-ann',
      principal: 'ann',
      refreshToken: undefined,
      refreshTokenExpiresAt: undefined,
      expiresAt: clock.now(),
    });
  });

  it("is the app's trouble, not the user's, when GoTo refuses the client", async () => {
    const { oauth, clock, store, signIn, key, requests } = oauthClient(
      byGrant(refused('invalid_client', 401)),
    );
    await signIn('ann');
    clock.advance(3_600_000 - 60_000);
    // The session lives on: its access token serves until it expires.
    expect((await oauth.getToken('ann')).accessToken).toBe('a-ann');
    expect(requests.map((r) => r.get('grant_type'))).toEqual([
      'authorization_code',
      'refresh_token',
    ]);
    expect(oauth.status('ann').lastError?.code).toBe('INVALID_CLIENT');
    const entry = await store.inner.get(await key('ann'));
    expect(entry?.token.refreshToken).toBe('r-ann');
  });
});

describe("a sign-in's store write", () => {
  it('writes once, and says the token came from the authorization code', async () => {
    const { oauth, store, events, signIn } = oauthClient(byGrant());
    await signIn('ann');
    expect(store.count('set')).toBe(1);
    expect(events.filter((e) => e.type === 'token')).toEqual([
      expect.objectContaining({ type: 'token', source: 'authorization_code', reason: 'initial' }),
    ]);
    expect(oauth.cachedToken('ann')?.accessToken).toBe('a-ann');
  });

  it('tries three times when other writes keep coming first, then serves the token', async () => {
    const { oauth, store, signIn } = oauthClient(byGrant());
    let sets = 0;
    store.onSet = async () => {
      // Another write always comes first; a store that never gives in fails at last.
      if (++sets > 10) throw new Error('store gave up');
      return undefined;
    };
    await signIn('ann');
    expect(store.count('set')).toBe(3);
    expect(oauth.cachedToken('ann')?.accessToken).toBe('a-ann');
  });

  it("drops the old session's token once a new sign-in's code is exchanged", async () => {
    const { oauth, store, signIn } = oauthClient(byGrant());
    await signIn('ann');
    expect(oauth.cachedToken('ann')?.accessToken).toBe('a-ann');
    store.onGet = () => Promise.reject(new Error('store down'));
    expect(await rejection(signIn('ann'))).toMatchObject({ code: 'STORE_ERROR' });
    expect(oauth.cachedToken('ann')).toBeUndefined();
  });
});

describe('the bounded cache of principals', () => {
  it('drops the least recently used idle principal', async () => {
    const { oauth, signIn } = oauthClient(byGrant(), { maxPrincipals: 1 });
    await signIn('ann');
    await signIn('bob');
    expect(oauth.cachedToken('ann')).toBeUndefined();
    expect(oauth.status('ann').state).toBe('empty');
  });

  it('keeps a principal whose refresh runs, even after its second chance', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { oauth, clock, requests, signIn } = oauthClient(
      byGrant(async () => {
        await held;
        return Response.json({ access_token: 'fresh', expires_in: 3600 });
      }),
      { maxPrincipals: 1 },
    );
    await signIn('ann');
    clock.advance(3_600_000 - 60_000);
    // Ann's refresh waits on GoTo; meanwhile two other principals come and go.
    const refreshing = oauth.getToken('ann');
    await until(() => requests.length === 2);
    await rejection(oauth.getToken('bob'));
    await rejection(oauth.getToken('cid'));
    expect(oauth.status('ann').state).toBe('refreshing');
    release();
    expect((await refreshing).accessToken).toBe('fresh');
    expect(oauth.cachedToken('ann')?.accessToken).toBe('fresh');
  });
});

describe('stored tokens read back', () => {
  const text = (refreshTokenExpiresAt: unknown) =>
    `{"accessToken":"a","expiresAt":2,"issuedAt":1,"refreshTokenExpiresAt":${refreshTokenExpiresAt}}`;

  it('keep a finite refresh expiry, and drop an infinite or non-numeric one', () => {
    expect(deserializeToken(text(5)).refreshTokenExpiresAt).toBe(5);
    // JSON has no Infinity, but a number too large for a double parses as one.
    expect(deserializeToken(text('1e999')).refreshTokenExpiresAt).toBeUndefined();
    expect(deserializeToken(text('"5"')).refreshTokenExpiresAt).toBeUndefined();
    expect(deserializeToken(text('null')).refreshTokenExpiresAt).toBeUndefined();
  });

  it('show their secrets as [redacted] in JSON and to Deno, and list only their fields', () => {
    const token = deserializeToken(
      '{"accessToken":"a-secret","refreshToken":"r-secret","expiresAt":2,"issuedAt":1}',
    );
    expect(JSON.parse(JSON.stringify(token))).toMatchObject({
      accessToken: '[redacted]',
      refreshToken: '[redacted]',
    });
    const deno = (token as unknown as Record<symbol, (() => string) | undefined>)[
      Symbol.for('Deno.customInspect')
    ];
    expect(typeof deno).toBe('function');
    expect(JSON.parse(deno?.call(token) ?? '{}')).toMatchObject({
      accessToken: '[redacted]',
      refreshToken: '[redacted]',
    });
    const listed: string[] = [];
    for (const name in token) listed.push(name);
    expect(listed).toEqual(Object.keys(token));
  });
});

describe('the default logger', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('is the console: warnings to console.warn, errors to console.error', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const clock = new ManualClock(START);
    let n = 0;
    const auth = createGoToAuth({
      ...STUB_CREDENTIALS,
      now: clock.now,
      timers: clock,
      retry: false,
      minGrantInterval: 0,
      fetch: (async () =>
        ++n === 1
          ? Response.json({ access_token: 'first', expires_in: 3600, organizer_key: true })
          : Response.json({ error: 'invalid_grant' }, { status: 400 })) as unknown as typeof fetch,
    });
    await auth.getToken();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('RESPONSE_FIELD_DROPPED'));
    auth.invalidate('first');
    await rejection(auth.getToken());
    expect(error).toHaveBeenCalledWith(expect.stringContaining('INVALID_CREDENTIALS'));
  });

  it('stays silent with logger: false', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const auth = refusedCredentials();
    await expect(rejection(auth.getToken())).resolves.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    await auth.close();
    expect(warn).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
  });
});

describe('createGoToOAuth options', () => {
  const options = (extra: Partial<GoToOAuthOptions>) => ({
    clientId: 'client',
    clientSecret: 'secret',
    redirectUri: 'https://app.example/callback',
    ...extra,
  });
  const code = (extra: Partial<GoToOAuthOptions>) => {
    try {
      createGoToOAuth(options(extra) as GoToOAuthOptions);
      return 'ok';
    } catch (error) {
      return (error as { code?: string }).code;
    }
  };

  it('refuse a redirect URI with a fragment, a user name or a password', () => {
    expect(code({ redirectUri: 'https://app.example/callback#x' })).toBe('INVALID_OPTIONS');
    expect(code({ redirectUri: 'https://user@app.example/callback' })).toBe('INVALID_OPTIONS');
    expect(code({ redirectUri: 'https://:pw@app.example/callback' })).toBe('INVALID_OPTIONS');
    expect(code({ redirectUri: 'https://app.example/callback' })).toBe('ok');
  });

  it('allow http:// only on loopback, and no other scheme', () => {
    expect(code({ redirectUri: 'http://127.0.0.1:3000/callback' })).toBe('ok');
    expect(code({ redirectUri: 'http://app.example/callback' })).toBe('INSECURE_ENDPOINT');
    expect(code({ redirectUri: 'ftp://127.0.0.1/callback' })).toBe('INSECURE_ENDPOINT');
    expect(code({ redirectUri: 'myapp://localhost/callback' })).toBe('INSECURE_ENDPOINT');
  });

  it('take a whole number of at least 1 as maxPrincipals', () => {
    expect(code({ maxPrincipals: 1 })).toBe('ok');
    for (const value of [0, -1, 1.5, Number.POSITIVE_INFINITY, Number.NaN, '5']) {
      expect(code({ maxPrincipals: value as number })).toBe('INVALID_OPTIONS');
    }
  });
});
