/**
 * Conformance: createGoToOAuth against a standards-compliant OAuth 2.0 server that no one here
 * wrote (@node-oauth/oauth2-server), served over real HTTP. Where it answers unlike GoTo (it sends
 * `token_type`, a numeric `expires_in`, rotates refresh tokens and revokes the old ones), the
 * client must cope all the same.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import OAuth2Server from '@node-oauth/oauth2-server';
import { describe, expect, it } from 'vitest';
import {
  followAuthorization,
  oauthClient,
  rejection,
  serve,
} from '../../../tools/test-support/src/index.ts';
import {
  type GoToOAuth,
  type GoToOAuthOptions,
  MemoryTokenStore,
  tokenStoreKey,
} from '../src/index.js';
import { ManualClock, NO_TIMERS } from './helpers.js';

const REDIRECT_URI = 'http://127.0.0.1:3000/auth/callback';
const OTHER_REDIRECT_URI = 'http://127.0.0.1:3000/other/callback';
// A secret with characters that form-urlencoding would change (RFC 6749 2.3.1): Basic is plain.
const CLIENT = { id: 'conformance-client', secret: 'se-cr+et/with:colon' };
const USERS = {
  ann: { id: 'u-ann', email: 'ann@example.com' },
  bob: { id: 'u-bob', email: 'bob@example.com' },
} as const;

type Stored = OAuth2Server.Token & { principal: string };

/** What the server saw of one token request. */
interface TokenRequest {
  grantType: string | undefined;
  authorization: string | undefined;
  body: Record<string, string>;
  status: number;
  answer: Record<string, unknown>;
}

interface Conformance {
  url: string;
  tokenRequests: TokenRequest[];
  /** Revokes a refresh token the way an admin console or a user's "sign out everywhere" would. */
  revokeRefreshToken(refreshToken: string): void;
  /** Calls the server's protected resource with a bearer token; the principal it names. */
  me(accessToken: string): Promise<{ status: number; principal?: string }>;
}

async function startServer(
  options: { alwaysIssueNewRefreshToken?: boolean } = {},
): Promise<Conformance> {
  const codes = new Map<string, OAuth2Server.AuthorizationCode>();
  const accessTokens = new Map<string, Stored>();
  const refreshTokens = new Map<string, Stored>();
  const client: OAuth2Server.Client = {
    id: CLIENT.id,
    grants: ['authorization_code', 'refresh_token'],
    redirectUris: [REDIRECT_URI, OTHER_REDIRECT_URI],
    accessTokenLifetime: 3600,
    refreshTokenLifetime: 30 * 24 * 3600,
  };
  const model: OAuth2Server.AuthorizationCodeModel & OAuth2Server.RefreshTokenModel = {
    getClient: async (id, secret) =>
      id === CLIENT.id && (secret === null || secret === CLIENT.secret) ? client : false,
    saveAuthorizationCode: async (code, c, user) => {
      const saved = { ...code, client: c, user };
      codes.set(code.authorizationCode, saved);
      return saved;
    },
    getAuthorizationCode: async (code) => codes.get(code) ?? false,
    revokeAuthorizationCode: async (code) => codes.delete(code.authorizationCode),
    saveToken: async (token, c, user) => {
      // GoTo's answer names the user in `principal`: an extended token attribute here.
      const saved: Stored = { ...token, client: c, user, principal: String(user.email) };
      accessTokens.set(token.accessToken, saved);
      if (token.refreshToken !== undefined) refreshTokens.set(token.refreshToken, saved);
      return saved;
    },
    getAccessToken: async (token) => accessTokens.get(token) ?? false,
    getRefreshToken: async (token) => {
      const saved = refreshTokens.get(token);
      return saved === undefined ? false : { ...saved, refreshToken: token };
    },
    revokeToken: async (token) => refreshTokens.delete(token.refreshToken),
  };
  const server = new OAuth2Server({
    model,
    allowExtendedTokenAttributes: true,
    alwaysIssueNewRefreshToken: options.alwaysIssueNewRefreshToken ?? true,
    requireClientAuthentication: { authorization_code: true, refresh_token: true },
  });
  const tokenRequests: TokenRequest[] = [];

  const url = await serve((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      handle(req, res, text).catch((error: unknown) => {
        res.writeHead(500).end(String(error));
      });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, text: string): Promise<void> {
    const target = new URL(req.url ?? '/', 'http://localhost');
    const body = Object.fromEntries(new URLSearchParams(text));
    const request = new OAuth2Server.Request({
      method: req.method ?? 'GET',
      headers: req.headers as Record<string, string>,
      query: Object.fromEntries(target.searchParams),
      body,
    });
    const response = new OAuth2Server.Response();
    if (target.pathname === '/oauth/authorize') {
      try {
        // The user signs in on the server's own page: here, `login_hint` names them at once.
        await server.authorize(request, response, {
          authenticateHandler: {
            handle: (r: OAuth2Server.Request) =>
              USERS[String(r.query?.login_hint) as keyof typeof USERS] ?? false,
          },
        });
      } catch {
        // The response carries the redirect with the error, or nothing for a bad client.
      }
      send(res, response);
      return;
    }
    if (target.pathname === '/oauth/token' && req.method === 'POST') {
      try {
        await server.token(request, response);
      } catch {
        // The response carries the RFC 6749 error.
      }
      tokenRequests.push({
        grantType: body.grant_type,
        authorization: req.headers.authorization,
        body,
        status: response.status ?? 0,
        answer: response.body as Record<string, unknown>,
      });
      send(res, response);
      return;
    }
    if (target.pathname === '/me') {
      try {
        const token = await server.authenticate(request, response);
        response.body = { principal: (token as Stored).principal };
      } catch {
        // 401 with the error.
      }
      send(res, response);
      return;
    }
    res.writeHead(404).end();
  }

  return {
    url,
    tokenRequests,
    revokeRefreshToken: (token) => {
      refreshTokens.delete(token);
    },
    me: async (accessToken) => {
      const res = await fetch(`${url}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
      const answer = (await res.json()) as { principal?: string };
      return { status: res.status, principal: answer.principal };
    },
  };
}

function send(res: ServerResponse, response: OAuth2Server.Response): void {
  const headers: Record<string, string> = { ...response.headers };
  const status = response.status ?? 500;
  if (status >= 300 && status < 400) {
    res.writeHead(status, headers).end();
    return;
  }
  headers['content-type'] = 'application/json';
  res.writeHead(status, headers).end(JSON.stringify(response.body ?? {}));
}

function client(
  server: Conformance,
  clock: ManualClock,
  options: Partial<GoToOAuthOptions> = {},
): GoToOAuth {
  return oauthClient(server, {
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    redirectUri: REDIRECT_URI,
    authUrl: server.url,
    now: clock.now,
    timers: NO_TIMERS,
    ...options,
  });
}

/** Follows the authorization URL as a browser would; the server's 302 is the callback. */
async function consent(
  oauth: GoToOAuth,
  user: keyof typeof USERS,
): Promise<{ callback: string; state: string }> {
  const { url, state } = oauth.authorizationUrl({
    scope: 'identity:scim.me',
    params: { login_hint: user },
  });
  return { callback: await followAuthorization(url), state };
}

async function signIn(oauth: GoToOAuth, user: keyof typeof USERS) {
  const { callback, state } = await consent(oauth, user);
  return oauth.handleCallback(callback, { state });
}

const HOUR = 3_600_000;

describe('createGoToOAuth against @node-oauth/oauth2-server', () => {
  it('signs in, caches, refreshes with a rotated refresh token, and ends the session when it is revoked', async () => {
    const server = await startServer();
    const clock = new ManualClock();
    const store = new MemoryTokenStore({ now: clock.now });
    const oauth = client(server, clock, { store });

    // authorizationUrl → the server's authorize endpoint issues a code to our redirect URI.
    const { callback, state } = await consent(oauth, 'ann');
    const returned = new URL(callback);
    expect(`${returned.origin}${returned.pathname}`).toBe(REDIRECT_URI);
    expect(returned.searchParams.get('state')).toBe(state);
    expect(returned.searchParams.get('code')).toEqual(expect.any(String));

    // handleCallback exchanges it: HTTP Basic, redirect_uri repeated.
    const { principal, token } = await oauth.handleCallback(callback, { state });
    expect(principal).toBe(USERS.ann.email);
    expect(server.tokenRequests).toHaveLength(1);
    const exchange = server.tokenRequests[0];
    expect(exchange).toMatchObject({
      grantType: 'authorization_code',
      status: 200,
      body: { code: returned.searchParams.get('code'), redirect_uri: REDIRECT_URI },
    });
    expect(exchange?.authorization).toBe(
      `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`,
    );
    // The server answered unlike GoTo: token_type, a numeric expires_in, scope, principal.
    expect(exchange?.answer).toMatchObject({
      token_type: 'Bearer',
      expires_in: expect.any(Number),
      scope: 'identity:scim.me',
      principal: USERS.ann.email,
    });
    expect(token).toMatchObject({
      tokenType: 'Bearer',
      principal: USERS.ann.email,
      scope: 'identity:scim.me',
      refreshToken: exchange?.answer.refresh_token,
    });
    expect(token.expiresAt - clock.now()).toBeGreaterThan(HOUR - 5_000);
    expect(token.expiresAt - clock.now()).toBeLessThanOrEqual(HOUR);
    expect(await server.me(token.accessToken)).toEqual({
      status: 200,
      principal: USERS.ann.email,
    });
    const key = await tokenStoreKey({
      baseUrl: server.url,
      clientId: CLIENT.id,
      userId: `principal:${principal}`,
    });
    expect((await store.get(key))?.token.refreshToken).toBe(token.refreshToken);

    // getToken(principal) is cached: no request.
    for (let i = 0; i < 10; i++) {
      expect((await oauth.getToken(principal)).accessToken).toBe(token.accessToken);
    }
    expect(server.tokenRequests).toHaveLength(1);

    // After expiry, one refresh; the server rotates the refresh token and revokes the old one.
    clock.advance(HOUR);
    const refreshed = await oauth.getToken(principal);
    expect(server.tokenRequests).toHaveLength(2);
    expect(server.tokenRequests[1]).toMatchObject({
      grantType: 'refresh_token',
      status: 200,
      authorization: exchange?.authorization,
      body: { refresh_token: token.refreshToken },
    });
    expect(refreshed.accessToken).not.toBe(token.accessToken);
    expect(refreshed.refreshToken).toBe(server.tokenRequests[1]?.answer.refresh_token);
    expect(refreshed.refreshToken).not.toBe(token.refreshToken);
    expect(refreshed.principal).toBe(USERS.ann.email);
    expect((await store.get(key))?.token.refreshToken).toBe(refreshed.refreshToken);
    expect(await server.me(refreshed.accessToken)).toMatchObject({ status: 200 });

    // The rotated one works for the next refresh (the old one is dead at the server).
    clock.advance(HOUR);
    const again = await oauth.getToken(principal);
    expect(server.tokenRequests[2]).toMatchObject({
      grantType: 'refresh_token',
      status: 200,
      body: { refresh_token: refreshed.refreshToken },
    });

    // A revoked refresh token ends the session: LOGIN_REQUIRED, then no more requests.
    server.revokeRefreshToken(again.refreshToken ?? '');
    clock.advance(HOUR);
    const ended = await rejection(oauth.getToken(principal));
    expect(ended).toMatchObject({ code: 'LOGIN_REQUIRED', oauthError: 'invalid_grant' });
    expect(server.tokenRequests[3]).toMatchObject({ grantType: 'refresh_token', status: 400 });
    expect(await rejection(oauth.getToken(principal))).toMatchObject({ code: 'LOGIN_REQUIRED' });
    const other = client(server, clock, { store });
    expect(await rejection(other.getToken(principal))).toMatchObject({ code: 'LOGIN_REQUIRED' });
    expect(server.tokenRequests).toHaveLength(4);

    // Signing in again starts a new session at once.
    const back = await signIn(oauth, 'ann');
    expect((await oauth.getToken(principal)).accessToken).toBe(back.token.accessToken);
  });

  it('keeps the refresh token when the server does not rotate it (as GoTo does)', async () => {
    const server = await startServer({ alwaysIssueNewRefreshToken: false });
    const clock = new ManualClock();
    const oauth = client(server, clock);
    const { principal, token } = await signIn(oauth, 'bob');
    for (let i = 1; i <= 3; i++) {
      clock.advance(HOUR);
      const fresh = await oauth.getToken(principal);
      expect(server.tokenRequests[i]?.answer).not.toHaveProperty('refresh_token');
      expect(fresh.refreshToken).toBe(token.refreshToken);
      expect(fresh.refreshTokenExpiresAt).toBe(token.refreshTokenExpiresAt);
      expect(await server.me(fresh.accessToken)).toEqual({
        status: 200,
        principal: USERS.bob.email,
      });
    }
    expect(server.tokenRequests.map((r) => [r.grantType, r.status])).toEqual([
      ['authorization_code', 200],
      ['refresh_token', 200],
      ['refresh_token', 200],
      ['refresh_token', 200],
    ]);
  });

  it('keeps principals apart: one refresh each for many concurrent callers', async () => {
    const server = await startServer();
    const clock = new ManualClock();
    const oauth = client(server, clock);
    const ann = await signIn(oauth, 'ann');
    const bob = await signIn(oauth, 'bob');
    clock.advance(HOUR);
    const [anns, bobs] = await Promise.all([
      Promise.all(Array.from({ length: 50 }, () => oauth.getToken(ann.principal))),
      Promise.all(Array.from({ length: 50 }, () => oauth.getToken(bob.principal))),
    ]);
    expect(new Set(anns.map((t) => t.accessToken)).size).toBe(1);
    expect(new Set(bobs.map((t) => t.accessToken)).size).toBe(1);
    expect((await server.me(anns[0]?.accessToken ?? '')).principal).toBe(USERS.ann.email);
    expect((await server.me(bobs[0]?.accessToken ?? '')).principal).toBe(USERS.bob.email);
    const refreshes = server.tokenRequests.filter((r) => r.grantType === 'refresh_token');
    expect(refreshes.map((r) => r.status)).toEqual([200, 200]);
  });

  it('fails the exchange, storing nothing, when the redirect URI differs from the one authorized', async () => {
    const server = await startServer();
    const clock = new ManualClock();
    const store = new MemoryTokenStore({ now: clock.now });
    const authorizer = client(server, clock, { store });
    const { callback, state } = await consent(authorizer, 'ann');
    // Another client object configured with another (also registered) redirect URI.
    const other = client(server, clock, { store, redirectUri: OTHER_REDIRECT_URI });
    const error = await rejection(other.handleCallback(callback, { state }));
    // This server says invalid_request (RFC 6749 5.2 names invalid_grant, which GoTo would send
    // and which gives INVALID_CALLBACK): either way a refusal that is not retried.
    expect(error).toMatchObject({
      code: 'INVALID_REQUEST',
      oauthError: 'invalid_request',
      retryable: false,
      status: 400,
    });
    expect(server.tokenRequests[0]).toMatchObject({
      grantType: 'authorization_code',
      status: 400,
      body: { redirect_uri: OTHER_REDIRECT_URI },
    });
    expect(await rejection(other.getToken(USERS.ann.email))).toMatchObject({
      code: 'LOGIN_REQUIRED',
    });
  });

  it('refuses a replayed code with INVALID_CALLBACK, and a wrong client secret with INVALID_CLIENT', async () => {
    const server = await startServer();
    const clock = new ManualClock();
    const oauth = client(server, clock);
    const { callback, state } = await consent(oauth, 'ann');
    await oauth.handleCallback(callback, { state });
    expect(await rejection(oauth.handleCallback(callback, { state }))).toMatchObject({
      code: 'INVALID_CALLBACK',
      oauthError: 'invalid_grant',
    });

    const wrong = client(server, clock, { clientSecret: randomBytes(8).toString('hex') });
    const second = await consent(wrong, 'bob');
    const error = await rejection(wrong.handleCallback(second.callback, { state: second.state }));
    expect(error).toMatchObject({ code: 'INVALID_CLIENT', oauthError: 'invalid_client' });
    expect(error.message).not.toContain(CLIENT.secret);
  });
});
