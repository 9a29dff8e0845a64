import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMULATOR_DEFAULTS, type GoToEmulator, startEmulator } from '../src/index.js';
import {
  basic,
  basicFormEncoded,
  DEFAULT_BASIC,
  legacyGrant,
  me,
  post,
  tokens,
  v2Password,
  v2Refresh,
} from './helpers.js';

const DOCUMENTED_KEYS = [
  'access_token',
  'expires_in',
  'refresh_token',
  'organizer_key',
  'account_key',
  'account_type',
  'firstName',
  'lastName',
  'email',
  'platform',
  'version',
];
const DAY = 24 * 60 * 60 * 1000;

let emulator: GoToEmulator;

beforeEach(async () => {
  emulator = await startEmulator();
});

afterEach(async () => {
  await emulator.close();
});

describe('legacy Direct Login (POST /oauth/access_token)', () => {
  it('answers the documented shape: key order, string expires_in, no token_type', async () => {
    const res = await legacyGrant(emulator);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('pragma')).toBe('no-cache');
    const text = await res.text();
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(DOCUMENTED_KEYS);
    expect(body).toEqual({
      access_token: expect.stringMatching(/^[A-Za-z0-9_-]{27}$/),
      expires_in: '3600',
      refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
      organizer_key: '8439885694023999999',
      account_key: '9999982253621659654',
      account_type: '',
      firstName: 'Mahar',
      lastName: 'Singh',
      email: '',
      platform: 'GLOBAL',
      version: '2',
    });
    expect(text).not.toContain('token_type');
    expect(text).toContain('"organizer_key":"8439885694023999999"');
    expect(emulator.counters).toMatchObject({ passwordGrants: 1, legacyPasswordGrants: 1 });
  });

  it('needs no client secret, even for a client that has one', async () => {
    const body = await tokens(legacyGrant(emulator));
    const res = await me(emulator, body.access_token);
    expect(res.status).toBe(200);
  });

  it('takes credentials from the body only, never the query string', async () => {
    const query = new URLSearchParams({
      grant_type: 'password',
      user_id: EMULATOR_DEFAULTS.userId,
      password: EMULATOR_DEFAULTS.password,
      client_id: EMULATOR_DEFAULTS.clientId,
    });
    const res = await post(emulator, `/oauth/access_token?${query}`, {});
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
    expect(emulator.requests[0]?.path).toBe('/oauth/access_token');
  });

  it('fills blanks and derives 19-digit keys for a user with only id and password', async () => {
    await emulator.close();
    emulator = await startEmulator({ users: [{ userId: 'bob', password: 'pw' }] });
    const body = await tokens(legacyGrant(emulator, { user_id: 'bob', password: 'pw' }));
    expect(body).toMatchObject({ account_type: '', firstName: '', lastName: '', email: '' });
    expect(body.organizer_key).toMatch(/^[1-9]\d{18}$/);
    expect(body.account_key).toMatch(/^[1-9]\d{18}$/);
    expect(body.account_key).not.toBe(body.organizer_key);
    const profile = await (await me(emulator, body.access_token)).json();
    expect(profile).toMatchObject({ email: 'bob', organizerKey: body.organizer_key });
  });

  it('answers expires_in from accessTokenTtlSeconds', async () => {
    await emulator.close();
    emulator = await startEmulator({ accessTokenTtlSeconds: 120 });
    expect((await tokens(legacyGrant(emulator))).expires_in).toBe('120');
  });
});

describe('GET /admin/rest/v1/me', () => {
  it("answers the token owner's profile", async () => {
    await emulator.close();
    emulator = await startEmulator({
      users: [
        {
          userId: 'ann@example.com',
          password: 'pw',
          organizerKey: '1234567890123456789',
          accountKey: '9876543210987654321',
          accountType: 'corporate',
          firstName: 'Ann',
          lastName: 'Lee',
          email: 'ann.lee@example.com',
        },
      ],
    });
    const body = await tokens(
      legacyGrant(emulator, { user_id: 'ann@example.com', password: 'pw' }),
    );
    expect(body.account_type).toBe('corporate');
    const res = await me(emulator, body.access_token);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({
      userKey: '1234567890123456789',
      accountKey: '9876543210987654321',
      email: 'ann.lee@example.com',
      firstName: 'Ann',
      lastName: 'Lee',
      organizerKey: '1234567890123456789',
      locale: 'en_US',
      timeZone: 'America/Los_Angeles',
    });
    expect(Object.keys(JSON.parse(text))[0]).toBe('userKey');
  });

  it('rejects a missing, unknown or malformed token with 403 InvalidToken', async () => {
    for (const res of [
      await me(emulator),
      await me(emulator, 'not-a-token'),
      await fetch(`${emulator.url}/admin/rest/v1/me`, { headers: { Authorization: 'Basic xyz' } }),
    ]) {
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({
        int_err_code: 'InvalidToken',
        msg: 'Invalid token passed',
      });
    }
    expect(emulator.counters).toMatchObject({ meCalls: 3, meRejected: 3 });
  });

  it('expires access tokens on the clock, to the millisecond with options.now', async () => {
    await emulator.close();
    let now = Date.UTC(2030, 0, 1);
    emulator = await startEmulator({ now: () => now });
    const body = await tokens(legacyGrant(emulator));
    now += 3600 * 1000 - 1;
    expect((await me(emulator, body.access_token)).status).toBe(200);
    now += 1;
    expect((await me(emulator, body.access_token)).status).toBe(403);
    expect(emulator.counters).toMatchObject({ meCalls: 2, meRejected: 1 });
  });

  it('expires access tokens when the default clock is advanced', async () => {
    const body = await tokens(legacyGrant(emulator));
    emulator.clock.advance(3590 * 1000);
    expect((await me(emulator, body.access_token)).status).toBe(200);
    emulator.clock.advance(10 * 1000);
    expect((await me(emulator, body.access_token)).status).toBe(403);
  });
});

describe('POST /oauth/v2/token, password grant', () => {
  it('accepts plain Basic credentials and answers the documented shape', async () => {
    const res = await v2Password(emulator);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(DOCUMENTED_KEYS);
    expect(body.expires_in).toBe('3600');
    expect(emulator.counters).toMatchObject({
      passwordGrants: 1,
      v2PasswordGrants: 1,
      legacyPasswordGrants: 0,
    });
  });

  describe('client credentials with characters that form-encoding changes', () => {
    const clientId = 'my-client.app_1';
    const clientSecret = 'p+q:r%s t~-x';

    beforeEach(async () => {
      await emulator.close();
      emulator = await startEmulator({ clients: [{ clientId, clientSecret }] });
    });

    it('accepts plain base64(id:secret)', async () => {
      expect((await v2Password(emulator, {}, basic(clientId, clientSecret))).status).toBe(200);
    });

    it('accepts the RFC 6749 form-urlencoded variant (dash as %2D)', async () => {
      const authorization = basicFormEncoded(clientId, clientSecret);
      expect(Buffer.from(authorization.slice(6), 'base64').toString()).toBe(
        'my%2Dclient%2Eapp%5F1:p%2Bq%3Ar%25s+t%7E%2Dx',
      );
      expect((await v2Password(emulator, {}, authorization)).status).toBe(200);
    });

    it('rejects a wrong secret in either form', async () => {
      for (const authorization of [
        basic(clientId, 'p+q:r%s t~-y'),
        basicFormEncoded(clientId, 'p q:r%s t~-x'),
      ]) {
        const res = await v2Password(emulator, {}, authorization);
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
        expect(await res.json()).toMatchObject({ error: 'invalid_client' });
      }
    });
  });
});

describe('POST /oauth/v2/token, refresh grant', () => {
  it('rotates: new access and refresh tokens; the used refresh token is then invalid', async () => {
    const first = await tokens(legacyGrant(emulator));
    const second = await tokens(v2Refresh(emulator, first.refresh_token));
    expect(Object.keys(second)).toEqual(DOCUMENTED_KEYS);
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await me(emulator, second.access_token)).status).toBe(200);

    const reused = await v2Refresh(emulator, first.refresh_token);
    expect(reused.status).toBe(400);
    expect(reused.headers.get('cache-control')).toBe('no-store');
    expect(await reused.json()).toMatchObject({ error: 'invalid_grant' });

    await tokens(v2Refresh(emulator, second.refresh_token));
    expect(emulator.counters).toMatchObject({
      refreshGrants: 2,
      passwordGrants: 1,
      tokenErrors: 1,
    });
  });

  it('lets a refresh token be used again with refreshTokenReuse', async () => {
    await emulator.close();
    emulator = await startEmulator({ refreshTokenReuse: true });
    const first = await tokens(legacyGrant(emulator));
    const a = await tokens(v2Refresh(emulator, first.refresh_token));
    const b = await tokens(v2Refresh(emulator, first.refresh_token));
    expect(a.refresh_token).not.toBe(first.refresh_token);
    expect(b.access_token).not.toBe(a.access_token);
  });

  it('expires refresh tokens 30 days after issue', async () => {
    const first = await tokens(legacyGrant(emulator));
    emulator.clock.advance(30 * DAY - 1000);
    const second = await tokens(v2Refresh(emulator, first.refresh_token));
    // The rotated token counts its 30 days from its own issue.
    emulator.clock.advance(30 * DAY - 1000);
    const third = await tokens(v2Refresh(emulator, second.refresh_token));
    emulator.clock.advance(30 * DAY);
    const res = await v2Refresh(emulator, third.refresh_token);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('honours refreshTokenTtlSeconds', async () => {
    await emulator.close();
    emulator = await startEmulator({ refreshTokenTtlSeconds: 60 });
    const first = await tokens(legacyGrant(emulator));
    emulator.clock.advance(60_000);
    expect((await v2Refresh(emulator, first.refresh_token)).status).toBe(400);
  });

  it('keeps refresh tokens valid when their access token expires', async () => {
    const first = await tokens(legacyGrant(emulator));
    emulator.expireAccessTokens();
    expect((await me(emulator, first.access_token)).status).toBe(403);
    const second = await tokens(v2Refresh(emulator, first.refresh_token));
    expect((await me(emulator, second.access_token)).status).toBe(200);
  });

  it("refuses another client's refresh token", async () => {
    await emulator.close();
    emulator = await startEmulator({
      clients: [
        { clientId: 'a', clientSecret: 'sa' },
        { clientId: 'b', clientSecret: 'sb' },
      ],
    });
    const fromA = emulator.mintToken({ clientId: 'a' });
    const res = await v2Refresh(emulator, fromA.refreshToken, basic('b', 'sb'));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_grant' });
    expect((await v2Refresh(emulator, fromA.refreshToken, basic('a', 'sa'))).status).toBe(200);
  });
});

describe('revocation on a new token (GoToAssist Corporate)', () => {
  it('revokes the older access token on a password grant, keeps the newest', async () => {
    const first = await tokens(legacyGrant(emulator));
    const second = await tokens(v2Password(emulator));
    expect((await me(emulator, first.access_token)).status).toBe(403);
    expect((await me(emulator, second.access_token)).status).toBe(200);
  });

  it('revokes on a refresh grant too, but leaves older refresh tokens valid', async () => {
    const first = await tokens(legacyGrant(emulator));
    const second = await tokens(legacyGrant(emulator));
    const third = await tokens(v2Refresh(emulator, second.refresh_token));
    expect((await me(emulator, second.access_token)).status).toBe(403);
    expect((await me(emulator, third.access_token)).status).toBe(200);
    expect((await v2Refresh(emulator, first.refresh_token)).status).toBe(200);
  });

  it('revokes when someone else mints a token (mintToken), counted as externalGrants', async () => {
    const ours = await tokens(legacyGrant(emulator));
    const theirs = emulator.mintToken();
    expect(theirs.accessToken).toMatch(/^[A-Za-z0-9_-]{27}$/);
    expect((await me(emulator, ours.access_token)).status).toBe(403);
    expect((await me(emulator, theirs.accessToken)).status).toBe(200);
    expect(emulator.counters).toMatchObject({ externalGrants: 1, passwordGrants: 1 });
    const refreshed = await tokens(v2Refresh(emulator, theirs.refreshToken));
    expect((await me(emulator, theirs.accessToken)).status).toBe(403);
    expect((await me(emulator, refreshed.access_token)).status).toBe(200);
  });

  it('does not revoke when the client is configured without the rule', async () => {
    await emulator.close();
    emulator = await startEmulator({
      clients: [{ ...clientOf(EMULATOR_DEFAULTS), revokeOnNewToken: false }],
    });
    const first = await tokens(legacyGrant(emulator));
    const second = await tokens(v2Password(emulator));
    emulator.mintToken();
    expect((await me(emulator, first.access_token)).status).toBe(200);
    expect((await me(emulator, second.access_token)).status).toBe(200);
  });

  it('switches the rule at run time with setClientRevocation', async () => {
    emulator.setClientRevocation(EMULATOR_DEFAULTS.clientId, false);
    const first = await tokens(legacyGrant(emulator));
    await tokens(legacyGrant(emulator));
    expect((await me(emulator, first.access_token)).status).toBe(200);
    emulator.setClientRevocation(EMULATOR_DEFAULTS.clientId, true);
    await tokens(legacyGrant(emulator));
    expect((await me(emulator, first.access_token)).status).toBe(403);
    expect(() => emulator.setClientRevocation('nope', true)).toThrow(/unknown client/);
  });

  it('only revokes tokens of the same client application', async () => {
    await emulator.close();
    emulator = await startEmulator({
      clients: [
        { clientId: 'a', clientSecret: 'sa' },
        { clientId: 'b', clientSecret: 'sb' },
      ],
    });
    const a = await tokens(legacyGrant(emulator, { client_id: 'a' }));
    await tokens(legacyGrant(emulator, { client_id: 'b' }));
    expect((await me(emulator, a.access_token)).status).toBe(200);
    emulator.revokeAll('b');
    expect((await me(emulator, a.access_token)).status).toBe(200);
    emulator.revokeAll();
    expect((await me(emulator, a.access_token)).status).toBe(403);
    expect((await v2Refresh(emulator, a.refresh_token, basic('a', 'sa'))).status).toBe(200);
  });

  it('mintToken rejects unknown clients and users', () => {
    expect(() => emulator.mintToken({ clientId: 'nope' })).toThrow(/unknown client/);
    expect(() => emulator.mintToken({ userId: 'nope' })).toThrow(/unknown user/);
  });
});

function clientOf(defaults: typeof EMULATOR_DEFAULTS) {
  return { clientId: defaults.clientId, clientSecret: defaults.clientSecret };
}

describe('errors (RFC 6749 5.2)', () => {
  async function expectError(res: Response, status: number, error: string) {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({ error, error_description: expect.any(String) });
    return res;
  }

  it('invalid_grant for a wrong password or an unknown user, on both endpoints', async () => {
    await expectError(await legacyGrant(emulator, { password: 'wrong' }), 400, 'invalid_grant');
    await expectError(await legacyGrant(emulator, { user_id: 'who@x' }), 400, 'invalid_grant');
    await expectError(await v2Password(emulator, { password: 'wrong' }), 400, 'invalid_grant');
    await expectError(await v2Refresh(emulator, 'unknown'), 400, 'invalid_grant');
    expect(emulator.counters).toMatchObject({
      passwordGrants: 0,
      refreshGrants: 0,
      tokenErrors: 4,
    });
  });

  it('unsupported_grant_type', async () => {
    const legacy = await legacyGrant(emulator, { grant_type: 'refresh_token' });
    await expectError(legacy, 400, 'unsupported_grant_type');
    const v2 = await v2Password(emulator, { grant_type: 'client_credentials' });
    await expectError(v2, 400, 'unsupported_grant_type');
  });

  it('invalid_request for a missing, empty or repeated parameter', async () => {
    const path = '/oauth/access_token';
    await expectError(await post(emulator, path, {}), 400, 'invalid_request');
    await expectError(await legacyGrant(emulator, { user_id: '' }), 400, 'invalid_request');
    await expectError(await legacyGrant(emulator, { client_id: '' }), 400, 'invalid_request');
    await expectError(await v2Password(emulator, { username: '' }), 400, 'invalid_request');
    await expectError(await v2Refresh(emulator, ''), 400, 'invalid_request');
    const repeated = await fetch(`${emulator.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=password&user_id=a&user_id=b&password=p&client_id=c',
    });
    await expectError(repeated, 400, 'invalid_request');
  });

  it('401 invalid_client + WWW-Authenticate for missing, bad or wrong Basic', async () => {
    for (const authorization of [
      '',
      'Bearer abc',
      'Basic !!!',
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      basic('unknown', EMULATOR_DEFAULTS.clientSecret),
      basic(EMULATOR_DEFAULTS.clientId, 'wrong'),
    ]) {
      const res = await v2Password(emulator, {}, authorization);
      await expectError(res, 401, 'invalid_client');
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
    }
    expect(emulator.requests.at(-1)?.clientId).toBe(EMULATOR_DEFAULTS.clientId);
  });

  it('401 invalid_client for an unknown client_id on the legacy endpoint', async () => {
    await expectError(await legacyGrant(emulator, { client_id: 'nope' }), 401, 'invalid_client');
  });

  it('401 invalid_client on v2 for a client that has no secret', async () => {
    await emulator.close();
    emulator = await startEmulator({ clients: [{ clientId: 'public' }] });
    await expectError(await v2Password(emulator, {}, basic('public', '')), 401, 'invalid_client');
    expect((await legacyGrant(emulator, { client_id: 'public' })).status).toBe(200);
  });

  it('415 for a token request that is not form-urlencoded', async () => {
    const res = await fetch(`${emulator.url}/oauth/access_token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ grant_type: 'password' }),
    });
    await expectError(res, 415, 'invalid_request');
    const withCharset = await fetch(`${emulator.url}/oauth/access_token`, {
      method: 'POST',
      headers: { 'Content-Type': 'Application/X-WWW-Form-Urlencoded; charset=UTF-8' },
      body: new URLSearchParams({
        grant_type: 'password',
        user_id: EMULATOR_DEFAULTS.userId,
        password: EMULATOR_DEFAULTS.password,
        client_id: EMULATOR_DEFAULTS.clientId,
      }).toString(),
    });
    expect(withCharset.status).toBe(200);
  });

  it('405 with Allow for a wrong method', async () => {
    const get = await fetch(`${emulator.url}/oauth/v2/token`);
    await expectError(get, 405, 'invalid_request');
    expect(get.headers.get('allow')).toBe('POST');
    const postMe = await fetch(`${emulator.url}/admin/rest/v1/me`, { method: 'POST' });
    expect(postMe.status).toBe(405);
    expect(postMe.headers.get('allow')).toBe('GET');
  });

  it('404 JSON for an unknown path', async () => {
    const res = await fetch(`${emulator.url}/oauth/v2/authorize?client_id=x`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toMatchObject({ error: 'not_found' });
    expect(emulator.counters).toMatchObject({ requests: 1, tokenErrors: 0 });
  });

  it('413 for a token body over 64 KiB', async () => {
    const res = await legacyGrant(emulator, { padding: 'x'.repeat(65 * 1024) });
    await expectError(res, 413, 'invalid_request');
    // The connection survives: the next request on it is answered normally.
    expect((await legacyGrant(emulator)).status).toBe(200);
  });

  it('counts only successful grants, and every request', async () => {
    await legacyGrant(emulator, { password: 'wrong' });
    const ok = await tokens(legacyGrant(emulator));
    await v2Password(emulator, {}, DEFAULT_BASIC);
    await me(emulator, ok.access_token);
    await fetch(`${emulator.url}/nowhere`);
    expect(emulator.counters).toEqual({
      passwordGrants: 2,
      legacyPasswordGrants: 1,
      v2PasswordGrants: 1,
      oauthTokenPasswordGrants: 0,
      refreshGrants: 0,
      authorizationCodeGrants: 0,
      personalAccessTokenGrants: 0,
      consentsApproved: 0,
      consentsDenied: 0,
      externalGrants: 0,
      tokenErrors: 1,
      meCalls: 1,
      meRejected: 1,
      identityCalls: 0,
      identityRejected: 0,
      rateLimited: 0,
      faults: 0,
      requests: 5,
    });
  });
});
