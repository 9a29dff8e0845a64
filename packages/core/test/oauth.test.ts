/**
 * GoTo's authorization code grant for many users, over HTTP against the emulator: sign-in,
 * per-principal tokens through the same cache, single flight, store and lock as Direct Login.
 */
import { inspect } from 'node:util';
import { EMULATOR_DEFAULTS, type EmulatorOptions, type GoToEmulator } from '@goto-auth/emulator';
import { describe, expect, it } from 'vitest';
import {
  oauthClientOnClock as client,
  consent,
  expectOneNewToken,
  onCleanup,
  rejection,
  signIn,
} from '../../../tools/test-support/src/index.ts';
import {
  createGoToOAuth,
  type GoToAuthEvent,
  type GoToOAuthOptions,
  goToFetch,
  MemoryTokenStore,
  type TokenStore,
  tokenStoreKey,
} from '../src/index.js';
import { emulator, ManualClock } from './helpers.js';

const REDIRECT_URI = 'http://127.0.0.1:3000/auth/callback';
const ANN = { userId: 'ann', password: 'pw-ann', email: 'ann@example.com', firstName: 'Ann' };
const BOB = { userId: 'bob', password: 'pw-bob', email: 'bob@example.com', firstName: 'Bob' };
const CAT = { userId: 'cat', password: 'pw-cat', email: 'cat@example.com', firstName: 'Cat' };

async function start(
  clock: ManualClock,
  options: Partial<EmulatorOptions> = {},
): Promise<GoToEmulator> {
  return emulator({ now: clock.now, users: [ANN, BOB, CAT], ...options });
}

function tokenRequests(emu: GoToEmulator) {
  return emu.requests.filter((r) => r.path === '/oauth/token');
}

describe('authorizationUrl', () => {
  it('names the client, the redirect URI and a fresh random state each time', async () => {
    const clock = new ManualClock();
    const emu = await start(clock);
    const oauth = client(emu, clock);
    const first = oauth.authorizationUrl({ scope: ['identity:scim.me', 'calls.v2.initiate'] });
    const second = oauth.authorizationUrl();
    const url = new URL(first.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${emu.url}/oauth/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: EMULATOR_DEFAULTS.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      state: first.state,
      scope: 'identity:scim.me calls.v2.initiate',
    });
    expect(first.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second.state).not.toBe(first.state);
    expect(new URL(second.url).searchParams.has('scope')).toBe(false);
  });

  it('goes to the default authentication origin without overrides', () => {
    const oauth = createGoToOAuth({
      clientId: 'id',
      clientSecret: 'secret',
      redirectUri: 'https://app.example.com/cb',
    });
    onCleanup(() => oauth.close());
    expect(oauth.authorizationUrl().url).toMatch(
      /^https:\/\/authentication\.logmeininc\.com\/oauth\/authorize\?/,
    );
    expect(oauth.authUrl).toBe('https://authentication.logmeininc.com');
    expect(oauth.baseUrl).toBe('https://api.getgo.com');
  });
});

describe('handleCallback', () => {
  it('exchanges the code once with Basic client auth and stores the tokens under the principal', async () => {
    const clock = new ManualClock();
    const emu = await start(clock);
    const store = new MemoryTokenStore({ now: clock.now });
    const oauth = client(emu, clock, { store });
    const { principal, token } = await signIn(oauth, ANN);
    expect(principal).toBe(ANN.email);
    expect(token.principal).toBe(ANN.email);
    expect(token.refreshToken).toEqual(expect.any(String));
    expect(emu.counters.authorizationCodeGrants).toBe(1);
    expect(tokenRequests(emu)).toHaveLength(1);
    expect(tokenRequests(emu)[0]).toMatchObject({ grantType: 'authorization_code' });

    const key = await tokenStoreKey({
      baseUrl: emu.url,
      clientId: EMULATOR_DEFAULTS.clientId,
      userId: `principal:${ANN.email}`,
    });
    expect((await store.get(key))?.token.accessToken).toBe(token.accessToken);
    expect(key).not.toContain('ann');
    // Served from memory: no further request.
    expect((await oauth.getToken(principal)).accessToken).toBe(token.accessToken);
    expect(oauth.cachedToken(principal)?.accessToken).toBe(token.accessToken);
    expect(tokenRequests(emu)).toHaveLength(1);
  });

  it('accepts the callback as a path with its query (as a server sees it)', async () => {
    const clock = new ManualClock();
    const emu = await start(clock);
    const oauth = client(emu, clock);
    const { callback, state } = await consent(oauth, BOB);
    const url = new URL(callback);
    const { principal } = await oauth.handleCallback(`${url.pathname}${url.search}`, { state });
    expect(principal).toBe(BOB.email);
  });

  it.each([
    ['a different state', (s: string) => ({ state: `${s}x` })],
    ['no expected state', () => ({ state: undefined })],
    ['an empty expected state', () => ({ state: '' })],
  ])('refuses %s with STATE_MISMATCH and sends nothing', async (_name, checks) => {
    const clock = new ManualClock();
    const emu = await start(clock);
    const oauth = client(emu, clock);
    const { callback, state } = await consent(oauth, ANN);
    const error = await rejection(oauth.handleCallback(callback, checks(state)));
    expect(error).toMatchObject({ code: 'STATE_MISMATCH' });
    expect(tokenRequests(emu)).toHaveLength(0);
  });

  it('refuses a callback without state before looking at its error', async () => {
    const clock = new ManualClock();
    const emu = await start(clock);
    const oauth = client(emu, clock);
    const error = await rejection(
      oauth.handleCallback('/auth/callback?error=access_denied', { state: 'abc' }),
    );
    expect(error).toMatchObject({ code: 'STATE_MISMATCH' });
  });

  it('turns a refused consent into ACCESS_DENIED without an exchange', async () => {
    const clock = new ManualClock();
    const emu = await start(clock);
    const oauth = client(emu, clock);
    const { callback, state } = await consent(oauth, ANN, 'deny');
    expect(new URL(callback).searchParams.get('error')).toBe('access_denied');
    const error = await rejection(oauth.handleCallback(callback, { state }));
    expect(error).toMatchObject({ code: 'ACCESS_DENIED', oauthError: 'access_denied' });
    expect(tokenRequests(emu)).toHaveLength(0);
  });

  it('turns another error, or a missing code, into INVALID_CALLBACK without an exchange', async () => {
    const clock = new ManualClock();
    const emu = await start(clock);
    const oauth = client(emu, clock);
    const other = await rejection(
      oauth.handleCallback('/cb?state=s&error=server_error&error_description=down', {
        state: 's',
      }),
    );
    expect(other).toMatchObject({ code: 'INVALID_CALLBACK', oauthError: 'server_error' });
    expect(other.message).toContain('down');
    const noCode = await rejection(oauth.handleCallback('/cb?state=s', { state: 's' }));
    expect(noCode).toMatchObject({ code: 'INVALID_CALLBACK' });
    expect(tokenRequests(emu)).toHaveLength(0);
  });

  it('refuses a replayed callback: the code is single use', async () => {
    const clock = new ManualClock();
    const emu = await start(clock);
    const oauth = client(emu, clock);
    const { callback, state } = await consent(oauth, ANN);
    await oauth.handleCallback(callback, { state });
    const error = await rejection(oauth.handleCallback(callback, { state }));
    expect(error).toMatchObject({
      code: 'INVALID_CALLBACK',
      oauthError: 'invalid_grant',
      retryable: false,
    });
    expect(emu.counters.authorizationCodeGrants).toBe(1);
  });

  it('never retries the exchange: a 503 fails the sign-in after one request', async () => {
    const clock = new ManualClock();
    const emu = await start(clock);
    const oauth = client(emu, clock);
    const { callback, state } = await consent(oauth, ANN);
    emu.fault({ type: 'status', status: 503 }, { times: 1 });
    const error = await rejection(oauth.handleCallback(callback, { state }));
    expect(error).toMatchObject({ code: 'SERVER_ERROR', status: 503 });
    expect(tokenRequests(emu)).toHaveLength(1);
  });
});

describe('getToken(principal)', () => {
  it('keeps each principal apart: one refresh per principal for many callers', async () => {
    const clock = new ManualClock();
    const emu = await start(clock);
    const oauth = client(emu, clock);
    const ann = await signIn(oauth, ANN);
    const bob = await signIn(oauth, BOB);
    expect(ann.token.accessToken).not.toBe(bob.token.accessToken);
    clock.advance(3_600_000);
    const [anns, bobs] = await Promise.all([
      Promise.all(Array.from({ length: 50 }, () => oauth.getToken(ann.principal))),
      Promise.all(Array.from({ length: 50 }, () => oauth.getToken(bob.principal))),
    ]);
    expectOneNewToken(anns, ann.token, ANN.email);
    expectOneNewToken(bobs, bob.token, BOB.email);
    expect(emu.counters.refreshGrants).toBe(2);
  });

  it('keeps the refresh token when GoTo answers a refresh without one', async () => {
    const clock = new ManualClock();
    const emu = await start(clock);
    const oauth = client(emu, clock);
    const { principal, token } = await signIn(oauth, ANN);
    for (let i = 0; i < 3; i++) {
      clock.advance(3_600_000);
      const fresh = await oauth.getToken(principal);
      expect(fresh.refreshToken).toBe(token.refreshToken);
    }
    expect(emu.counters.refreshGrants).toBe(3);
    const refreshes = tokenRequests(emu).filter((r) => r.grantType === 'refresh_token');
    expect(refreshes).toHaveLength(3);
  });

  it('takes the rotated refresh token when GoTo sends one', async () => {
    const clock = new ManualClock();
    const emu = await start(clock, { rotateRefreshTokens: true, refreshTokenReuse: false });
    const oauth = client(emu, clock);
    const { principal, token } = await signIn(oauth, ANN);
    clock.advance(3_600_000);
    const first = await oauth.getToken(principal);
    expect(first.refreshToken).not.toBe(token.refreshToken);
    clock.advance(3_600_000);
    await oauth.getToken(principal);
    expect(emu.counters.refreshGrants).toBe(2);
  });

  it('fails with LOGIN_REQUIRED, without a request, for a principal that never signed in', async () => {
    const clock = new ManualClock();
    const emu = await start(clock);
    const oauth = client(emu, clock);
    const error = await rejection(oauth.getToken('nobody@example.com'));
    expect(error).toMatchObject({ code: 'LOGIN_REQUIRED', retryable: false });
    expect(await rejection(oauth.getToken(''))).toMatchObject({ code: 'LOGIN_REQUIRED' });
    expect(emu.counters.requests).toBe(0);
  });

  it('logs nothing for a user without a session: a state of the user, not a fault', async () => {
    const clock = new ManualClock();
    const emu = await start(clock, { refreshTokenTtlSeconds: 60 });
    const logged: string[] = [];
    const logger = { warn: (m: string) => logged.push(m), error: (m: string) => logged.push(m) };
    const oauth = client(emu, clock, { logger });
    await rejection(oauth.getToken('nobody@example.com'));
    const { principal } = await signIn(oauth, ANN);
    clock.advance(3_600_000);
    expect(await rejection(oauth.getToken(principal))).toMatchObject({ code: 'LOGIN_REQUIRED' });
    expect(logged).toEqual([]);
  });

  it('ends the session with LOGIN_REQUIRED when GoTo refuses the refresh token', async () => {
    const clock = new ManualClock();
    const emu = await start(clock, { refreshTokenTtlSeconds: 60 });
    const store = new MemoryTokenStore({ now: clock.now });
    const oauth = client(emu, clock, { store });
    const { principal } = await signIn(oauth, ANN);
    clock.advance(3_500_000);
    const error = await rejection(oauth.getToken(principal));
    expect(error).toMatchObject({ code: 'LOGIN_REQUIRED', oauthError: 'invalid_grant' });
    expect(error.message).toMatch(/sign the user in again/);
    // The access token had minutes left, but the session is over: it is not served.
    expect(oauth.cachedToken(principal)).toBeUndefined();
    expect(oauth.status(principal)).toMatchObject({
      serving: false,
      lastError: { code: 'LOGIN_REQUIRED' },
    });
    const sent = emu.counters.requests;
    // Another process sharing the store sees no session either, and sends nothing.
    const other = client(emu, clock, { store });
    expect(await rejection(other.getToken(principal))).toMatchObject({ code: 'LOGIN_REQUIRED' });
    expect(await rejection(oauth.getToken(principal))).toMatchObject({ code: 'LOGIN_REQUIRED' });
    expect(emu.counters.requests).toBe(sent);
    // Signing in again works at once (no cool-down), in both processes.
    const again = await signIn(oauth, ANN);
    expect((await oauth.getToken(principal)).accessToken).toBe(again.token.accessToken);
    expect((await other.getToken(principal)).accessToken).toBe(again.token.accessToken);
  });

  it('keeps the session through a transient failure, and honours Retry-After on 429', async () => {
    const clock = new ManualClock();
    const emu = await start(clock);
    const oauth = client(emu, clock, {
      timers: undefined,
      now: undefined,
      retry: { baseDelay: 1, maxDelay: 2_000 },
    });
    const { principal } = await signIn(oauth, ANN);
    oauth.invalidate(principal, (await oauth.getToken(principal)).accessToken);
    emu.fault({ type: 'rate-limit', retryAfterSeconds: 1 }, { times: 1 });
    const started = Date.now();
    const token = await oauth.getToken(principal);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(token.principal).toBe(ANN.email);
    expect(emu.counters.rateLimited + emu.counters.faults).toBeGreaterThanOrEqual(1);
    expect(emu.counters.refreshGrants).toBe(1);
  });

  it('refreshes after invalidate(), and ignores a stale invalidate', async () => {
    const clock = new ManualClock();
    const emu = await start(clock);
    const oauth = client(emu, clock);
    const { principal, token } = await signIn(oauth, ANN);
    expect(oauth.invalidate(principal, 'not-the-token')).toBe(false);
    expect(oauth.invalidate('someone-else', token.accessToken)).toBe(false);
    expect(oauth.invalidate(principal, token.accessToken)).toBe(true);
    const fresh = await oauth.getToken(principal);
    expect(fresh.accessToken).not.toBe(token.accessToken);
    expect(emu.counters.refreshGrants).toBe(1);
  });

  it('reads a session another process signed in from the shared store, without a request', async () => {
    const clock = new ManualClock();
    const emu = await start(clock);
    const store = new MemoryTokenStore({ now: clock.now });
    // Real timers: the second process polls the lock while the first refreshes.
    const a = client(emu, clock, { store, timers: undefined, lockPollInterval: 5 });
    const b = client(emu, clock, { store, timers: undefined, lockPollInterval: 5 });
    const { principal, token } = await signIn(a, ANN);
    const sent = emu.counters.requests;
    expect((await b.getToken(principal)).accessToken).toBe(token.accessToken);
    expect(emu.counters.requests).toBe(sent);
    // At expiry both processes ask; one refresh serves both.
    clock.advance(3_600_000);
    const [x, y] = await Promise.all([a.getToken(principal), b.getToken(principal)]);
    expect(x.accessToken).toBe(y.accessToken);
    expect(emu.counters.refreshGrants).toBe(1);
  });

  it('takes the store lock once per principal refresh (single flight counted at the store)', async () => {
    const clock = new ManualClock();
    const emu = await start(clock);
    const inner = new MemoryTokenStore({ now: clock.now });
    let locks = 0;
    const store: TokenStore = {
      get: (key) => inner.get(key),
      set: (key, token, ttl, expected) => inner.set(key, token, ttl, expected),
      delete: (key) => inner.delete(key),
      lock: (key, ttl) => {
        locks++;
        return inner.lock(key, ttl);
      },
    };
    const oauth = client(emu, clock, { store });
    const { principal } = await signIn(oauth, ANN);
    clock.advance(3_600_000);
    await Promise.all(Array.from({ length: 100 }, () => oauth.getToken(principal)));
    expect(locks).toBe(1);
    expect(emu.counters.refreshGrants).toBe(1);
  });
});

describe('memory bound', () => {
  it('drops the least recently used principal from memory; the store keeps its session', async () => {
    const clock = new ManualClock();
    const emu = await start(clock);
    const oauth = client(emu, clock, { maxPrincipals: 1 });
    const ann = await signIn(oauth, ANN);
    const bob = await signIn(oauth, BOB);
    expect(oauth.cachedToken(ann.principal)).toBeUndefined();
    expect(oauth.cachedToken(bob.principal)?.accessToken).toBe(bob.token.accessToken);
    const sent = emu.counters.requests;
    expect((await oauth.getToken(ann.principal)).accessToken).toBe(ann.token.accessToken);
    expect(emu.counters.requests).toBe(sent);
    expect(oauth.cachedToken(bob.principal)).toBeUndefined();
    expect(JSON.parse(JSON.stringify(oauth))).toMatchObject({ principals: 1 });
  });

  it('keeps a principal used since the last eviction, and drops one that was not', async () => {
    const clock = new ManualClock();
    const emu = await start(clock);
    const oauth = client(emu, clock, { maxPrincipals: 2 });
    const ann = await signIn(oauth, ANN);
    const bob = await signIn(oauth, BOB);
    // Ann is older, but used again: Bob leaves when Cat arrives.
    await oauth.getToken(ann.principal);
    const cat = await signIn(oauth, CAT);
    expect(oauth.cachedToken(ann.principal)?.accessToken).toBe(ann.token.accessToken);
    expect(oauth.cachedToken(bob.principal)).toBeUndefined();
    expect(oauth.cachedToken(cat.principal)?.accessToken).toBe(cat.token.accessToken);
  });
});

describe('signOut', () => {
  it('forgets the principal in memory and in the store, for every process', async () => {
    const clock = new ManualClock();
    const emu = await start(clock);
    const store = new MemoryTokenStore({ now: clock.now });
    const a = client(emu, clock, { store });
    const b = client(emu, clock, { store });
    const ann = await signIn(a, ANN);
    const bob = await signIn(a, BOB);
    await a.signOut(ann.principal);
    expect(a.cachedToken(ann.principal)).toBeUndefined();
    expect(await rejection(a.getToken(ann.principal))).toMatchObject({ code: 'LOGIN_REQUIRED' });
    expect(await rejection(b.getToken(ann.principal))).toMatchObject({ code: 'LOGIN_REQUIRED' });
    // Bob stays signed in.
    expect((await b.getToken(bob.principal)).accessToken).toBe(bob.token.accessToken);
  });

  it('does not let a process that still remembers the refresh token bring the session back', async () => {
    const clock = new ManualClock();
    const emu = await start(clock);
    const store = new MemoryTokenStore({ now: clock.now });
    const a = client(emu, clock, { store });
    const b = client(emu, clock, { store });
    const { principal } = await signIn(a, ANN);
    await b.getToken(principal);
    await a.signOut(principal);
    clock.advance(3_600_000);
    expect(await rejection(b.getToken(principal))).toMatchObject({ code: 'LOGIN_REQUIRED' });
    expect(emu.counters.refreshGrants).toBe(0);
  });
});

describe('forPrincipal', () => {
  it('is a token source for goToFetch: the user calls GoTo as themselves', async () => {
    const clock = new ManualClock();
    const emu = await start(clock);
    const oauth = client(emu, clock);
    const { principal } = await signIn(oauth, BOB);
    const view = oauth.forPrincipal(principal);
    expect(view.baseUrl).toBe(emu.url);
    const gotoFetch = goToFetch(view);
    const res = await gotoFetch(`${emu.url}/identity/v1/Users/me`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ userName: BOB.email });
    await view.close();
    expect(oauth.closed).toBe(false);
    expect(view.status().serving).toBe(true);
  });
});

describe('close, options and secrets', () => {
  it('fails later calls with CLOSED', async () => {
    const clock = new ManualClock();
    const emu = await start(clock);
    const oauth = client(emu, clock);
    const { principal, state } = { ...(await signIn(oauth, ANN)), state: 's' };
    await oauth.close();
    expect(oauth.closed).toBe(true);
    expect(await rejection(oauth.getToken(principal))).toMatchObject({ code: 'CLOSED' });
    expect(await rejection(oauth.handleCallback('/cb?state=s&code=c', { state }))).toMatchObject({
      code: 'CLOSED',
    });
  });

  it.each([
    [{ redirectUri: undefined }, 'INVALID_OPTIONS', /redirectUri/],
    [{ redirectUri: 'not a url' }, 'INVALID_OPTIONS', /redirectUri/],
    [{ redirectUri: 'http://app.example.com/cb' }, 'INSECURE_ENDPOINT', /redirectUri/],
    [{ redirectUri: 'https://app.example.com/cb#x' }, 'INVALID_OPTIONS', /fragment/],
    [{ clientSecret: undefined }, 'INVALID_OPTIONS', /clientSecret/],
    [{ clientId: '' }, 'INVALID_OPTIONS', /clientId/],
    [{ authUrl: 'http://auth.example.com' }, 'INSECURE_ENDPOINT', /authUrl/],
    [{ maxPrincipals: 0 }, 'INVALID_OPTIONS', /maxPrincipals/],
  ])('refuses unusable options %j', (override, code, message) => {
    let thrown: unknown;
    try {
      createGoToOAuth({
        clientId: 'id',
        clientSecret: 'the-client-secret',
        redirectUri: 'https://app.example.com/cb',
        ...override,
      } as GoToOAuthOptions);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code, message: expect.stringMatching(message) });
    expect(String((thrown as Error).message)).toMatch(/^createGoToOAuth: /);
    expect(String((thrown as Error).message)).not.toContain('the-client-secret');
  });

  it('never shows the client secret, a code or a token in errors, events or inspect', async () => {
    const clock = new ManualClock();
    const emu = await start(clock, { refreshTokenTtlSeconds: 60 });
    const events: GoToAuthEvent[] = [];
    const oauth = client(emu, clock, { onEvent: (event) => events.push(event) });
    const { callback, state } = await consent(oauth, ANN);
    const code = new URL(callback).searchParams.get('code') ?? '';
    const { principal, token } = await oauth.handleCallback(callback, { state });
    const replay = await rejection(oauth.handleCallback(callback, { state }));
    clock.advance(3_600_000);
    const ended = await rejection(oauth.getToken(principal));
    const secrets = [
      EMULATOR_DEFAULTS.clientSecret,
      code,
      token.accessToken,
      token.refreshToken ?? 'x',
    ];
    const texts = [
      inspect(replay, { depth: 5 }),
      inspect(ended, { depth: 5 }),
      JSON.stringify(events),
      inspect(oauth),
      JSON.stringify(oauth),
      JSON.stringify(oauth.status(principal)),
    ];
    for (const text of texts) for (const secret of secrets) expect(text).not.toContain(secret);
    expect(
      events.filter((e) => e.type === 'request').map((e) => e.type === 'request' && e.grant),
    ).toEqual(['authorization_code', 'authorization_code', 'refresh_token']);
  });
});
