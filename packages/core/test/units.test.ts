/**
 * The small public pieces on their own: errors, stored-token serialization, the in-memory
 * store, store keys, problem answers and token-rejection checks.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { toProblem } from '../src/http.js';
import {
  deserializeToken,
  GoToAuthError,
  GoToAuthErrorCode,
  isGoToAuthError,
  isTokenRejection,
  MemoryTokenStore,
  normalizeTokenResponse,
  serializeToken,
  tokenStoreKey,
} from '../src/index.js';

const RETRYABLE = ['RATE_LIMITED', 'SERVER_ERROR', 'NETWORK_ERROR', 'TIMEOUT', 'STORE_ERROR'];

describe('GoToAuthError', () => {
  it('carries its code, message and details, the response hidden from enumeration', () => {
    const response = new Response('x', { status: 429 });
    const cause = new Error('under');
    const error = new GoToAuthError('RATE_LIMITED', 'slow down', {
      cause,
      status: 429,
      oauthError: 'too_many',
      retryAfter: 5000,
      attempts: 2,
      response,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('GoToAuthError');
    expect(error.message).toBe('slow down');
    expect(error.cause).toBe(cause);
    expect(error).toMatchObject({
      code: 'RATE_LIMITED',
      status: 429,
      oauthError: 'too_many',
      retryAfter: 5000,
      attempts: 2,
    });
    expect(error.response).toBe(response);
    expect(Object.keys(error)).not.toContain('response');
    expect(JSON.stringify(error)).not.toContain('response');
    const plain = new GoToAuthError('CLOSED', 'closed');
    expect('cause' in plain).toBe(false);
    expect(plain.response).toBeUndefined();
    expect(plain).toMatchObject({
      status: undefined,
      oauthError: undefined,
      retryAfter: undefined,
      attempts: undefined,
    });
  });

  it.each(Object.values(GoToAuthErrorCode))('says whether %s is retryable', (code) => {
    const error = new GoToAuthError(code, 'x');
    expect(GoToAuthErrorCode[code]).toBe(code);
    expect(error.retryable).toBe(RETRYABLE.includes(code));
  });

  it('recognizes its errors across copies of the package, and nothing else', () => {
    const error = new GoToAuthError('TIMEOUT', 'x');
    expect(isGoToAuthError(error)).toBe(true);
    // Another copy of the class: a plain object carrying the shared brand.
    const foreign = Object.defineProperty({ code: 'TIMEOUT' }, Symbol.for('goto-auth.error'), {
      value: true,
    });
    expect(isGoToAuthError(foreign)).toBe(true);
    const fake = Object.defineProperty({ code: 'TIMEOUT' }, Symbol.for('goto-auth.error'), {
      value: 'yes',
    });
    for (const value of [fake, new Error('TIMEOUT'), { code: 'TIMEOUT' }, null, undefined, 'x']) {
      expect(isGoToAuthError(value)).toBe(false);
    }
  });
});

const FULL = normalizeTokenResponse(
  {
    access_token: 'access',
    refresh_token: 'refresh',
    expires_in: 3600,
    organizer_key: '1',
    account_key: '2',
    account_type: 'corporate',
    firstName: 'F',
    lastName: 'L',
    email: 'e@example.com',
    platform: 'GLOBAL',
    version: '3',
    principal: 'p@example.com',
    scope: 'a b',
  },
  1_000,
);

describe('stored tokens', () => {
  it('round-trips every field, secrets included, and redacts them in the copy it reads', () => {
    const text = serializeToken(FULL);
    expect(JSON.parse(text)).toMatchObject({ accessToken: 'access', refreshToken: 'refresh' });
    const back = deserializeToken(text);
    expect({ ...back }).toEqual({ ...FULL });
    expect(JSON.stringify(back)).not.toContain('access"');
    expect(inspect(back)).not.toContain("'access'");
    expect(Object.isFrozen(back)).toBe(true);
  });

  it('drops optional fields of the wrong type, and unknown account types', () => {
    const back = deserializeToken(
      JSON.stringify({
        accessToken: 'a',
        expiresAt: 2,
        issuedAt: 1,
        refreshToken: '',
        refreshTokenExpiresAt: Number.NaN,
        organizerKey: 5,
        accountType: 'team',
        scope: null,
      }),
    );
    expect({ ...back }).toEqual({
      accessToken: 'a',
      refreshToken: undefined,
      tokenType: 'Bearer',
      expiresAt: 2,
      issuedAt: 1,
      refreshTokenExpiresAt: undefined,
      organizerKey: undefined,
      accountKey: undefined,
      accountType: undefined,
      firstName: undefined,
      lastName: undefined,
      email: undefined,
      platform: undefined,
      version: undefined,
      principal: undefined,
      scope: undefined,
    });
    expect(
      deserializeToken(
        JSON.stringify({ accessToken: 'a', expiresAt: 2, issuedAt: 1, accountType: 'personal' }),
      ).accountType,
    ).toBe('personal');
    expect(
      deserializeToken(
        JSON.stringify({ accessToken: 'a', expiresAt: 2, issuedAt: 1, refreshTokenExpiresAt: 9 }),
      ).refreshTokenExpiresAt,
    ).toBe(9);
  });

  it.each([
    ['{', 'The stored token is not valid JSON.'],
    ['null', 'The stored token has no access token.'],
    ['"text"', 'The stored token has no access token.'],
    ['{"accessToken":"","expiresAt":2,"issuedAt":1}', 'The stored token has no access token.'],
    ['{"accessToken":5,"expiresAt":2,"issuedAt":1}', 'The stored token has no access token.'],
    ['{"accessToken":"a","issuedAt":1}', 'The stored token has no expiry.'],
    ['{"accessToken":"a","expiresAt":2}', 'The stored token has no expiry.'],
    ['{"accessToken":"a","expiresAt":"2","issuedAt":1}', 'The stored token has no expiry.'],
  ])('refuses %s with STORE_ERROR', (text, message) => {
    expect(() => deserializeToken(text)).toThrow(
      expect.objectContaining({ code: 'STORE_ERROR', message }),
    );
  });

  it('shows Deno a redacted token', () => {
    const show = (FULL as unknown as Record<symbol, () => string>)[
      Symbol.for('Deno.customInspect')
    ];
    const shown = JSON.parse(show?.call(FULL) ?? '{}');
    expect(shown).toMatchObject({
      accessToken: '[redacted]',
      refreshToken: '[redacted]',
      organizerKey: '1',
    });
    const noRefresh = normalizeTokenResponse({ access_token: 'a' }, 1);
    expect(JSON.parse(JSON.stringify(noRefresh))).not.toHaveProperty('refreshToken');
    expect(Object.keys(FULL)).not.toContain('toJSON');
  });
});

describe('MemoryTokenStore', () => {
  it('writes only over the version that was read, and counts versions up', async () => {
    const store = new MemoryTokenStore({ now: () => 0 });
    expect(await store.get('k')).toBeUndefined();
    expect(await store.set('k', FULL, 1000, 7)).toBeUndefined();
    const v1 = await store.set('k', FULL, 1000, undefined);
    expect(v1).toBe(1);
    expect(await store.set('k', FULL, 1000, undefined)).toBeUndefined();
    expect(await store.set('k', FULL, 1000, 99)).toBeUndefined();
    expect(await store.set('k', FULL, 1000, v1)).toBe(2);
    expect(await store.get('k')).toEqual({ token: FULL, version: 2 });
    expect(await store.set('other', FULL, 1000, undefined)).toBe(3);
    await store.delete('k');
    expect(await store.get('k')).toBeUndefined();
    expect(await store.get('other')).toMatchObject({ version: 3 });
  });

  it('forgets an entry when its time is up', async () => {
    let now = 0;
    const store = new MemoryTokenStore({ now: () => now });
    await store.set('k', FULL, 1000, undefined);
    now = 999;
    expect(await store.get('k')).toMatchObject({ version: 1 });
    now = 1000;
    expect(await store.get('k')).toBeUndefined();
    // Gone for good: a write that expects no entry succeeds.
    expect(await store.set('k', FULL, 1000, undefined)).toBe(2);
  });

  it('lends its lock to one holder at a time until it is released or expires', async () => {
    let now = 0;
    const store = new MemoryTokenStore({ now: () => now });
    const first = await store.lock('k', 1000);
    expect(first).toBeDefined();
    expect(await store.lock('k', 1000)).toBeUndefined();
    expect(await store.lock('other', 1000)).toBeDefined();
    await first?.release();
    const second = await store.lock('k', 1000);
    expect(second).toBeDefined();
    // A released holder cannot free another holder's lock.
    await first?.release();
    expect(await store.lock('k', 1000)).toBeUndefined();
    now = 999;
    expect(await store.lock('k', 1000)).toBeUndefined();
    now = 1000;
    const third = await store.lock('k', 1000);
    expect(third).toBeDefined();
    // The expired holder neither extends nor releases the new holder's lock.
    expect(await second?.extend?.(5000)).toBe(false);
    await second?.release();
    expect(await store.lock('k', 1000)).toBeUndefined();
  });

  it('extends a lock it still holds', async () => {
    let now = 0;
    const store = new MemoryTokenStore({ now: () => now });
    const lock = await store.lock('k', 1000);
    now = 900;
    expect(await lock?.extend?.(1000)).toBe(true);
    now = 1899;
    expect(await store.lock('k', 1000)).toBeUndefined();
    expect(await lock?.extend?.(1)).toBe(true);
    now = 1900;
    expect(await lock?.extend?.(1000)).toBe(false);
    expect(await store.lock('k', 1000)).toBeDefined();
  });
});

describe('tokenStoreKey', () => {
  it('hashes base URL, client id and user id into 64 hex digits, ignoring trailing slashes', async () => {
    const key = await tokenStoreKey({ baseUrl: 'https://a.example', clientId: 'c', userId: 'u' });
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    // SHA-256 of ["https://a.example","c","u"].
    const expected = Array.from(
      new Uint8Array(
        await crypto.subtle.digest(
          'SHA-256',
          new TextEncoder().encode('["https://a.example","c","u"]'),
        ),
      ),
      (byte) => byte.toString(16).padStart(2, '0'),
    ).join('');
    expect(key).toBe(expected);
    expect(
      await tokenStoreKey({ baseUrl: 'https://a.example//', clientId: 'c', userId: 'u' }),
    ).toBe(key);
    const others = await Promise.all([
      tokenStoreKey({ baseUrl: 'https://b.example', clientId: 'c', userId: 'u' }),
      tokenStoreKey({ baseUrl: 'https://a.example', clientId: 'd', userId: 'u' }),
      tokenStoreKey({ baseUrl: 'https://a.example', clientId: 'c', userId: 'v' }),
    ]);
    expect(new Set([key, ...others]).size).toBe(4);
  });
});

describe('toProblem', () => {
  const TITLES: Record<string, string> = {
    INVALID_CREDENTIALS: 'GoTo rejected the configured credentials',
    INVALID_CLIENT: 'GoTo rejected the configured client',
    INVALID_REQUEST: 'GoTo rejected the token request',
    REFRESH_TOKEN_REJECTED: 'GoTo rejected the refresh token',
    INVALID_RESPONSE: 'GoTo answered with an unusable token response',
    RATE_LIMITED: 'GoTo is rate limiting token requests',
    SERVER_ERROR: 'GoTo is failing',
    NETWORK_ERROR: 'GoTo is unreachable',
    TIMEOUT: 'GoTo did not answer in time',
    ABORTED: 'The token request was aborted',
    INSECURE_ENDPOINT: 'The GoTo endpoint is not secure',
    INVALID_OPTIONS: 'The GoTo client is misconfigured',
    STORE_ERROR: 'The shared token store is unavailable',
    CLOSED: 'The GoTo client is shutting down',
    UNEXPECTED_ERROR: 'The GoTo client failed unexpectedly',
    LOGIN_REQUIRED: 'Sign in with GoTo',
    STATE_MISMATCH: 'The sign-in could not be verified',
    ACCESS_DENIED: 'The GoTo sign-in was refused',
    INVALID_CALLBACK: 'The GoTo sign-in could not be completed',
  };
  const DETAIL: Record<number, string> = {
    400: 'The GoTo sign-in callback was refused; start the sign-in again.',
    401: 'This user has no GoTo session: sign in with GoTo again.',
    500: 'The server cannot get a GoTo access token because of its configuration.',
    502: 'GoTo answered the token request with something unusable.',
    503: 'GoTo cannot be reached for an access token right now; try again later.',
  };
  it.each(Object.values(GoToAuthErrorCode))('gives %s its title and detail', (code) => {
    const { status, body } = toProblem(new GoToAuthError(code, 'x'));
    expect(body).toEqual({
      type: `https://goto-auth.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`,
      title: TITLES[code],
      status,
      detail: DETAIL[status],
      code,
    });
  });

  it('answers a foreign error as UNEXPECTED_ERROR, and waits 5 s by default', () => {
    expect(toProblem('boom').body.code).toBe('UNEXPECTED_ERROR');
    expect(toProblem(new GoToAuthError('SERVER_ERROR', 'x')).retryAfter).toBe(5);
  });
});

describe('isTokenRejection', () => {
  it('is a 401, or a 403 whose body says InvalidToken', () => {
    expect(isTokenRejection(401)).toBe(true);
    expect(isTokenRejection(401, { int_err_code: 'Other' })).toBe(true);
    expect(isTokenRejection(403, { int_err_code: 'InvalidToken' })).toBe(true);
    expect(isTokenRejection(403, { int_err_code: 'Other' })).toBe(false);
    expect(isTokenRejection(403)).toBe(false);
    expect(isTokenRejection(403, null)).toBe(false);
    expect(isTokenRejection(403, 'InvalidToken')).toBe(false);
    expect(isTokenRejection(400, { int_err_code: 'InvalidToken' })).toBe(false);
    expect(isTokenRejection(200, { int_err_code: 'InvalidToken' })).toBe(false);
  });
});
