import { describe, expect, it } from 'vitest';
import { EMULATOR_DEFAULTS } from '../src/index.js';
import {
  approvedCode,
  closedAfterEach,
  exchangeCode,
  identity,
  json,
  legacyGrant,
  me,
  oauthToken,
  tokens,
} from './helpers.js';

const start = closedAfterEach();

const ANN = {
  userId: 'ann',
  password: 'pw',
  email: 'ann@example.com',
  firstName: 'Ann',
  lastName: 'Lee',
  organizerKey: '1111111111111111111',
  accountKey: '2222222222222222222',
  personalAccessTokens: ['pat-ann'],
};
const BOB = { userId: 'bob', password: 'pw', personalAccessTokens: ['pat-bob'] };

describe('GET /identity/v1/Users/me', () => {
  it("answers the token's own user, whatever the grant", async () => {
    // No revocation here: bob's sign-in would revoke his Direct Login token.
    const clients = [{ ...EMULATOR_DEFAULTS, revokeOnNewToken: false }];
    const emulator = await start({ users: [ANN, BOB], clients });
    const fromDirect = await tokens(legacyGrant(emulator, { user_id: 'bob', password: 'pw' }));
    const fromPat = await json(
      oauthToken(emulator, { grant_type: 'personal_access_token', pat: 'pat-ann' }),
    );
    const fromCode = await json(
      exchangeCode(emulator, await approvedCode(emulator, { login_hint: 'bob' })),
    );
    const res = await identity(emulator, fromPat.access_token as string);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      schemas: ['urn:scim:schemas:core:1.0', 'urn:scim:schemas:extension:getgo:1.0'],
      id: '1111111111111111111',
      userName: 'ann@example.com',
      displayName: 'Ann Lee',
      name: { givenName: 'Ann', familyName: 'Lee' },
      emails: [{ value: 'ann@example.com', type: 'work', primary: true }],
      locale: 'en_US',
      timezone: 'America/Los_Angeles',
      active: true,
      accounts: [{ value: '2222222222222222222', display: '' }],
    });
    for (const token of [fromDirect.access_token, fromCode.access_token as string]) {
      expect(await json(identity(emulator, token))).toMatchObject({
        userName: 'bob',
        displayName: 'bob',
      });
    }
    // /admin/rest/v1/me answers for every grant too.
    expect(await json(me(emulator, fromPat.access_token as string))).toMatchObject({
      email: 'ann@example.com',
      organizerKey: '1111111111111111111',
    });
    expect(emulator.counters).toMatchObject({ identityCalls: 3, identityRejected: 0 });
  });

  it('401 with WWW-Authenticate: Bearer for a missing, unknown or expired token', async () => {
    const emulator = await start();
    const { access_token } = await tokens(legacyGrant(emulator));
    emulator.expireAccessTokens();
    for (const res of [
      await identity(emulator),
      await identity(emulator, 'nope'),
      await identity(emulator, access_token),
    ]) {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
      expect(await res.json()).toEqual({ Errors: [{ description: 'Invalid token', code: '401' }] });
    }
    const post = await fetch(`${emulator.url}/identity/v1/Users/me`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(emulator.counters).toMatchObject({ identityCalls: 4, identityRejected: 3 });
  });
});

describe('authenticationHost', () => {
  it('is off by default: one server answers every path', async () => {
    const emulator = await start();
    expect(emulator.authUrl).toBe(emulator.url);
    await legacyGrant(emulator);
    expect(emulator.requests[0]).not.toHaveProperty('host');
  });

  it('splits the paths between two servers that share one state', async () => {
    const emulator = await start({ authenticationHost: true });
    expect(emulator.authUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emulator.authUrl).not.toBe(emulator.url);
    // Direct Login on the API host, its refresh on the authentication host.
    const direct = await tokens(legacyGrant(emulator));
    const refreshed = await json(
      oauthToken(emulator, { grant_type: 'refresh_token', refresh_token: direct.refresh_token }),
    );
    expect((await me(emulator, refreshed.access_token as string)).status).toBe(200);
    // Each host answers 404 for the other's paths.
    const wrongToken = await fetch(`${emulator.url}/oauth/token`, { method: 'POST' });
    expect(wrongToken.status).toBe(404);
    const wrongAuthorize = await fetch(`${emulator.url}/oauth/authorize`);
    expect(wrongAuthorize.status).toBe(404);
    for (const path of [
      '/oauth/access_token',
      '/oauth/v2/token',
      '/admin/rest/v1/me',
      '/identity/v1/Users/me',
    ]) {
      expect((await fetch(`${emulator.authUrl}${path}`, { method: 'POST' })).status).toBe(404);
    }
    expect(
      emulator.requests.slice(0, 3).map((entry) => [entry.host, entry.path, entry.status]),
    ).toEqual([
      ['api', '/oauth/access_token', 200],
      ['authentication', '/oauth/token', 200],
      ['api', '/admin/rest/v1/me', 200],
    ]);
    await emulator.close();
    await expect(fetch(emulator.authUrl)).rejects.toThrow();
    await expect(fetch(emulator.url)).rejects.toThrow();
  });

  it('serves the consent and the exchange on the authentication host', async () => {
    const emulator = await start({ authenticationHost: true });
    const code = await approvedCode(emulator);
    const body = await json(exchangeCode(emulator, code));
    expect(body.principal).toBe(EMULATOR_DEFAULTS.userId);
    expect(emulator.requests.every((entry) => entry.host === 'authentication')).toBe(true);
  });
});
