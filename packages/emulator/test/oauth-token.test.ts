import { beforeEach, describe, expect, it } from 'vitest';
import {
  EMULATOR_DEFAULT_SCOPES,
  EMULATOR_DEFAULTS,
  type EmulatorOptions,
  type GoToEmulator,
  startEmulator,
} from '../src/index.js';
import {
  approvedCode,
  basic,
  closedAfterEach,
  exchangeCode,
  identity,
  json,
  legacyGrant,
  me,
  oauthToken,
  post,
  tokens,
} from './helpers.js';

const DAY = 24 * 60 * 60 * 1000;
/** Key order of an `/oauth/token` answer that issues a refresh token. */
const ISSUED_KEYS = [
  'access_token',
  'token_type',
  'refresh_token',
  'expires_in',
  'scope',
  'principal',
];
const PROFILE_KEYS = [
  'organizer_key',
  'account_key',
  'account_type',
  'firstName',
  'lastName',
  'email',
  'platform',
  'version',
];
const DEFAULT_SCOPE = EMULATOR_DEFAULT_SCOPES.join(' ');
const PASSWORD = {
  grant_type: 'password',
  username: EMULATOR_DEFAULTS.userId,
  password: EMULATOR_DEFAULTS.password,
};
const ANN = { userId: 'ann', password: 'pw-ann', email: 'ann@example.com' };
const BOB = { userId: 'bob@example.com', password: 'pw-bob', personalAccessTokens: ['pat-bob'] };

const start = closedAfterEach();
let emulator: GoToEmulator;

async function restart(options: EmulatorOptions): Promise<void> {
  emulator = await start(options);
}

beforeEach(async () => {
  emulator = await start();
});

function refresh(refreshToken: string, authorization?: string): Promise<Response> {
  return oauthToken(
    emulator,
    { grant_type: 'refresh_token', refresh_token: refreshToken },
    authorization,
  );
}

async function expectError(res: Response, status: number, error: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(await res.json()).toMatchObject({ error, error_description: expect.any(String) });
}

describe('POST /oauth/token, password grant (v2)', () => {
  it("answers the authentication host's shape plus Direct Login's user fields", async () => {
    const res = await oauthToken(emulator, PASSWORD);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(Object.keys(body)).toEqual([...ISSUED_KEYS, ...PROFILE_KEYS]);
    expect(body).toEqual({
      access_token: expect.stringMatching(/^[A-Za-z0-9_-]{27}$/),
      token_type: 'Bearer',
      refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
      expires_in: 3600,
      scope: DEFAULT_SCOPE,
      principal: EMULATOR_DEFAULTS.userId,
      organizer_key: EMULATOR_DEFAULTS.organizerKey,
      account_key: EMULATOR_DEFAULTS.accountKey,
      account_type: '',
      firstName: EMULATOR_DEFAULTS.firstName,
      lastName: EMULATOR_DEFAULTS.lastName,
      email: '',
      platform: 'GLOBAL',
      version: '2',
    });
    expect(emulator.counters).toMatchObject({
      passwordGrants: 1,
      v2PasswordGrants: 1,
      oauthTokenPasswordGrants: 1,
      legacyPasswordGrants: 0,
    });
    expect((await me(emulator, body.access_token as string)).status).toBe(200);
  });

  it('answers principal as the email when the user has one', async () => {
    await restart({ users: [ANN] });
    const body = await json(
      oauthToken(emulator, { ...PASSWORD, username: 'ann', password: 'pw-ann' }),
    );
    expect(body.principal).toBe('ann@example.com');
  });

  it('invalid_grant for a wrong password, invalid_request for a missing one', async () => {
    await expectError(
      await oauthToken(emulator, { ...PASSWORD, password: 'nope' }),
      400,
      'invalid_grant',
    );
    await expectError(
      await oauthToken(emulator, { ...PASSWORD, password: '' }),
      400,
      'invalid_request',
    );
    expect(emulator.counters).toMatchObject({ passwordGrants: 0, tokenErrors: 2 });
  });
});

describe('POST /oauth/token, refresh grant', () => {
  it('answers without a refresh_token and keeps the refresh token usable', async () => {
    const first = await tokens(legacyGrant(emulator));
    const a = await json(refresh(first.refresh_token));
    expect(Object.keys(a)).toEqual(['access_token', 'expires_in', 'scope', 'principal']);
    expect(a).toEqual({
      access_token: expect.stringMatching(/^[A-Za-z0-9_-]{27}$/),
      expires_in: 3600,
      scope: DEFAULT_SCOPE,
      principal: EMULATOR_DEFAULTS.userId,
    });
    // Not consumed: the same refresh token works again, and each answer revokes the previous
    // access token (Direct Login's client-wide rule, inherited by its refresh token).
    const b = await json(refresh(first.refresh_token));
    expect(b.access_token).not.toBe(a.access_token);
    expect((await me(emulator, first.access_token)).status).toBe(403);
    expect((await me(emulator, a.access_token as string)).status).toBe(403);
    expect((await me(emulator, b.access_token as string)).status).toBe(200);
    expect(emulator.counters).toMatchObject({ refreshGrants: 2, tokenErrors: 0 });
  });

  it('still expires the refresh token 30 days after its issue', async () => {
    const first = await tokens(legacyGrant(emulator));
    emulator.clock.advance(30 * DAY - 1000);
    expect((await refresh(first.refresh_token)).status).toBe(200);
    emulator.clock.advance(1000);
    await expectError(await refresh(first.refresh_token), 400, 'invalid_grant');
  });

  it('with rotateRefreshTokens: a new refresh token each time, the used one consumed', async () => {
    await restart({ rotateRefreshTokens: true });
    const first = await tokens(legacyGrant(emulator));
    const second = await json(refresh(first.refresh_token));
    expect(Object.keys(second)).toEqual(ISSUED_KEYS);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    await expectError(await refresh(first.refresh_token), 400, 'invalid_grant');
    expect((await refresh(second.refresh_token as string)).status).toBe(200);
  });

  it('leaves /oauth/v2/token rotating as before, whatever rotateRefreshTokens says', async () => {
    const first = await tokens(legacyGrant(emulator));
    const v2 = await post(
      emulator,
      '/oauth/v2/token',
      { grant_type: 'refresh_token', refresh_token: first.refresh_token },
      { Authorization: basic(EMULATOR_DEFAULTS.clientId, EMULATOR_DEFAULTS.clientSecret) },
    );
    const body = await tokens(v2);
    expect(body.expires_in).toBe('3600');
    expect(body.refresh_token).not.toBe(first.refresh_token);
    await expectError(await refresh(first.refresh_token), 400, 'invalid_grant');
  });

  it("refuses an unknown refresh token and another client's", async () => {
    await restart({
      clients: [
        { clientId: 'a', clientSecret: 'sa' },
        { clientId: 'b', clientSecret: 'sb' },
      ],
    });
    const fromA = emulator.mintToken({ clientId: 'a' });
    await expectError(await refresh('unknown', basic('a', 'sa')), 400, 'invalid_grant');
    await expectError(await refresh(fromA.refreshToken, basic('b', 'sb')), 400, 'invalid_grant');
    expect((await refresh(fromA.refreshToken, basic('a', 'sa'))).status).toBe(200);
  });
});

describe('POST /oauth/token, personal_access_token grant', () => {
  it("exchanges the default user's PAT", async () => {
    const res = await oauthToken(emulator, {
      grant_type: 'personal_access_token',
      pat: EMULATOR_DEFAULTS.personalAccessToken,
    });
    const body = await json(res);
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 3600,
      scope: DEFAULT_SCOPE,
      principal: EMULATOR_DEFAULTS.userId,
    });
    expect(emulator.counters.personalAccessTokenGrants).toBe(1);
  });

  it("answers for the PAT's own user; a wrong PAT is invalid_grant", async () => {
    await restart({ users: [ANN, BOB] });
    const right = await json(
      oauthToken(emulator, { grant_type: 'personal_access_token', pat: 'pat-bob' }),
    );
    expect(right.principal).toBe('bob@example.com');
    const profile = await json(identity(emulator, right.access_token as string));
    expect(profile.userName).toBe('bob@example.com');
    const wrong = await oauthToken(emulator, {
      grant_type: 'personal_access_token',
      pat: 'pat-bo',
    });
    await expectError(wrong, 400, 'invalid_grant');
    const missing = await oauthToken(emulator, { grant_type: 'personal_access_token' });
    await expectError(missing, 400, 'invalid_request');
    expect(emulator.counters).toMatchObject({ personalAccessTokenGrants: 1, tokenErrors: 2 });
  });

  it('rejects a PAT shared by two users at start', async () => {
    const users = [
      { ...ANN, personalAccessTokens: ['same'] },
      { ...BOB, personalAccessTokens: ['same'] },
    ];
    await expect(startEmulator({ users })).rejects.toThrow(/personal access tokens/);
  });
});

describe('POST /oauth/token, errors (RFC 6749 5.2)', () => {
  it('401 invalid_client with WWW-Authenticate for missing or wrong Basic credentials', async () => {
    for (const authorization of [
      '',
      basic(EMULATOR_DEFAULTS.clientId, 'wrong'),
      basic('nobody', 'x'),
    ]) {
      const res = await oauthToken(emulator, PASSWORD, authorization);
      await expectError(res, 401, 'invalid_client');
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
    }
  });

  it('unsupported_grant_type, invalid_request, 405 and 415', async () => {
    const cc = await oauthToken(emulator, { grant_type: 'client_credentials' });
    await expectError(cc, 400, 'unsupported_grant_type');
    await expectError(await oauthToken(emulator, {}), 400, 'invalid_request');
    const repeated = await fetch(`${emulator.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: basic(EMULATOR_DEFAULTS.clientId, EMULATOR_DEFAULTS.clientSecret),
      },
      body: 'grant_type=personal_access_token&pat=a&pat=b',
    });
    await expectError(repeated, 400, 'invalid_request');
    const get = await fetch(`${emulator.url}/oauth/token`);
    await expectError(get, 405, 'invalid_request');
    expect(get.headers.get('allow')).toBe('POST');
    const jsonBody = await fetch(`${emulator.url}/oauth/token`, { method: 'POST', body: '{}' });
    await expectError(jsonBody, 415, 'invalid_request');
  });
});

describe('revocation by grant kind', () => {
  const clients = [{ clientId: 'app', clientSecret: 'secret' }];
  const app = basic('app', 'secret');

  beforeEach(async () => {
    await restart({ users: [ANN, BOB], clients });
  });

  async function signIn(user: string): Promise<{ access_token: string; refresh_token: string }> {
    const code = await approvedCode(emulator, { client_id: 'app', login_hint: user });
    return (await json(exchangeCode(emulator, code, {}, app))) as {
      access_token: string;
      refresh_token: string;
    };
  }

  it("a sign-in revokes only the same user's tokens of the client", async () => {
    const ann1 = await signIn('ann');
    const bob = await signIn('bob@example.com');
    expect((await me(emulator, ann1.access_token)).status).toBe(200);
    const ann2 = await signIn('ann');
    expect((await me(emulator, ann1.access_token)).status).toBe(403);
    expect((await me(emulator, ann2.access_token)).status).toBe(200);
    expect((await me(emulator, bob.access_token)).status).toBe(200);
    // A refresh inherits the per-user rule.
    const fresh = await json(refresh(bob.refresh_token, app));
    expect((await me(emulator, bob.access_token)).status).toBe(403);
    expect((await me(emulator, fresh.access_token as string)).status).toBe(200);
    expect((await me(emulator, ann2.access_token)).status).toBe(200);
  });

  it('a Direct Login grant still revokes every token of the client', async () => {
    const ann = await signIn('ann');
    const pat = await json(
      oauthToken(emulator, { grant_type: 'personal_access_token', pat: 'pat-bob' }, app),
    );
    expect((await me(emulator, pat.access_token as string)).status).toBe(200);
    await tokens(legacyGrant(emulator, { user_id: 'ann', password: 'pw-ann', client_id: 'app' }));
    expect((await me(emulator, ann.access_token)).status).toBe(403);
    expect((await me(emulator, pat.access_token as string)).status).toBe(403);
  });

  it('nothing is revoked when the client does not revoke', async () => {
    emulator.setClientRevocation('app', false);
    const first = await signIn('ann');
    await signIn('ann');
    expect((await me(emulator, first.access_token)).status).toBe(200);
  });
});

describe('the request log across every grant', () => {
  it('never holds a code, PAT, token, secret or password', async () => {
    const lines: string[] = [];
    await restart({ users: [ANN, BOB], logger: (line) => lines.push(line) });
    const secrets: string[] = [EMULATOR_DEFAULTS.clientSecret, 'pw-ann', 'pat-bob'];
    const code = await approvedCode(emulator, { login_hint: 'ann' });
    secrets.push(code);
    const signedIn = await json(exchangeCode(emulator, code));
    await exchangeCode(emulator, code); // replayed
    const pat = await json(
      oauthToken(emulator, { grant_type: 'personal_access_token', pat: 'pat-bob' }),
    );
    await oauthToken(emulator, { grant_type: 'personal_access_token', pat: 'pat-wrong' });
    const password = await json(
      oauthToken(emulator, { grant_type: 'password', username: 'ann', password: 'pw-ann' }),
    );
    const refreshed = await json(refresh(password.refresh_token as string));
    await identity(emulator, refreshed.access_token as string);
    for (const body of [signedIn, pat, password, refreshed]) {
      for (const key of ['access_token', 'refresh_token']) {
        if (typeof body[key] === 'string') secrets.push(body[key]);
      }
    }
    secrets.push('pat-wrong');
    const log = JSON.stringify(emulator.requests) + lines.join('\n');
    for (const secret of secrets) expect(log).not.toContain(secret);
    expect(emulator.requests.map((entry) => entry.grantType).filter(Boolean)).toEqual([
      'authorization_code',
      'authorization_code',
      'personal_access_token',
      'personal_access_token',
      'password',
      'refresh_token',
    ]);
    expect(emulator.requests[2]).toMatchObject({ userId: 'ann', error: 'invalid_grant' });
    expect(emulator.counters).toMatchObject({
      authorizationCodeGrants: 1,
      personalAccessTokenGrants: 1,
      oauthTokenPasswordGrants: 1,
      refreshGrants: 1,
      consentsApproved: 1,
      identityCalls: 1,
    });
  });
});
