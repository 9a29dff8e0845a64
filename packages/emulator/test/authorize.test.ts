import { beforeEach, describe, expect, it } from 'vitest';
import {
  EMULATOR_DEFAULT_SCOPES,
  EMULATOR_DEFAULTS,
  type EmulatorOptions,
  type GoToEmulator,
} from '../src/index.js';
import {
  approvedCode,
  authorize,
  basic,
  closedAfterEach,
  exchangeCode,
  FORM,
  identity,
  json,
  me,
  oauthToken,
  REDIRECT_URI,
  redirectParams,
} from './helpers.js';

const ANN = { userId: 'ann', password: 'pw', email: 'ann@example.com', firstName: 'Ann' };
const BOB = { userId: 'bob', password: 'pw', email: 'bob@example.com' };
const REQUEST = {
  client_id: EMULATOR_DEFAULTS.clientId,
  response_type: 'code',
  redirect_uri: REDIRECT_URI,
  state: 'xyz',
};

const start = closedAfterEach();
let emulator: GoToEmulator;

async function restart(options: EmulatorOptions): Promise<void> {
  emulator = await start(options);
}

beforeEach(async () => {
  emulator = await start();
});

async function expectInvalidGrant(res: Response): Promise<void> {
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ error: 'invalid_grant' });
}

async function expectErrorPage(res: Response, text: RegExp): Promise<void> {
  expect(res.status).toBe(400);
  expect(res.headers.get('location')).toBeNull();
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(await res.text()).toMatch(text);
}

function exchangeWithoutRedirect(code: string, authorization?: string): Promise<Response> {
  return oauthToken(emulator, { grant_type: 'authorization_code', code }, authorization);
}

/** Submits the consent page's form the way a browser would. */
async function submitConsent(page: string, fields: Record<string, string>): Promise<Response> {
  const consent = /name="consent" value="([^"]+)"/.exec(page)?.[1];
  if (!consent) throw new Error('no consent field on the page');
  const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
  return fetch(`${emulator.authUrl}${action}`, {
    method: 'POST',
    headers: FORM,
    body: new URLSearchParams({ consent, ...fields }),
    redirect: 'manual',
  });
}

describe('GET /oauth/authorize with auto=approve, then the code exchange', () => {
  it('redirects with code and state; the code buys a token for that user', async () => {
    const res = await authorize(emulator, { ...REQUEST, auto: 'approve' });
    expect(res.headers.get('cache-control')).toBe('no-store');
    const params = redirectParams(res);
    expect(params.get('state')).toBe('xyz');
    const code = params.get('code') ?? '';
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const body = await json(exchangeCode(emulator, code));
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      refresh_token: expect.any(String),
      expires_in: 3600,
      scope: EMULATOR_DEFAULT_SCOPES.join(' '),
      principal: EMULATOR_DEFAULTS.userId,
    });
    const accessToken = body.access_token as string;
    expect((await me(emulator, accessToken)).status).toBe(200);
    expect(await json(identity(emulator, accessToken))).toMatchObject({
      id: EMULATOR_DEFAULTS.organizerKey,
      userName: EMULATOR_DEFAULTS.userId,
      displayName: 'Mahar Singh',
    });
    expect(emulator.counters).toMatchObject({ consentsApproved: 1, authorizationCodeGrants: 1 });
    expect(emulator.requests[0]).toMatchObject({
      method: 'GET',
      path: '/oauth/authorize',
      status: 302,
      clientId: EMULATOR_DEFAULTS.clientId,
      userId: EMULATOR_DEFAULTS.userId,
    });
  });

  it('grants the scope asked for when the client has it', async () => {
    const code = await approvedCode(emulator, { scope: 'identity:scim.me' });
    expect((await json(exchangeCode(emulator, code))).scope).toBe('identity:scim.me');
  });

  it('keeps the query of the redirect URI and leaves state out when none was given', async () => {
    const redirect_uri = 'http://localhost:8080/cb?tenant=7';
    const res = await authorize(emulator, { ...REQUEST, redirect_uri, state: '', auto: 'approve' });
    const location = new URL(res.headers.get('location') ?? '');
    expect(location.searchParams.get('tenant')).toBe('7');
    expect(location.searchParams.get('state')).toBe('');
    const { state: _state, ...noState } = REQUEST;
    const again = await authorize(emulator, { ...noState, redirect_uri, auto: 'approve' });
    expect(new URL(again.headers.get('location') ?? '').searchParams.has('state')).toBe(false);
  });

  it('signs in the user named by login_hint (login id or principal)', async () => {
    await restart({ users: [ANN, BOB] });
    for (const hint of ['bob', 'bob@example.com']) {
      const code = await approvedCode(emulator, { login_hint: hint });
      expect((await json(exchangeCode(emulator, code))).principal).toBe('bob@example.com');
    }
    const unknown = await authorize(emulator, { ...REQUEST, login_hint: 'eve', auto: 'approve' });
    expect(redirectParams(unknown).get('error')).toBe('invalid_request');
  });

  it('refuses a replayed code, and revokes what the first exchange bought', async () => {
    const code = await approvedCode(emulator);
    const first = await json(exchangeCode(emulator, code));
    await expectInvalidGrant(await exchangeCode(emulator, code));
    expect((await me(emulator, first.access_token as string)).status).toBe(403);
    const refresh = { grant_type: 'refresh_token', refresh_token: first.refresh_token as string };
    const res = await fetch(`${emulator.url}/oauth/token`, {
      method: 'POST',
      headers: {
        ...FORM,
        Authorization: basic(EMULATOR_DEFAULTS.clientId, EMULATOR_DEFAULTS.clientSecret),
      },
      body: new URLSearchParams(refresh),
    });
    await expectInvalidGrant(res);
    expect(emulator.counters).toMatchObject({ authorizationCodeGrants: 1, tokenErrors: 2 });
  });

  it('refuses a redirect_uri that differs from the one given at authorize', async () => {
    const code = await approvedCode(emulator);
    await expectInvalidGrant(
      await exchangeCode(emulator, code, { redirect_uri: `${REDIRECT_URI}/` }),
    );
    const other = await approvedCode(emulator);
    await expectInvalidGrant(await exchangeWithoutRedirect(other));
    // The first presentation burns a code, even a refused one.
    await expectInvalidGrant(await exchangeCode(emulator, code));
  });

  it('expires a code after authorizationCodeTtlSeconds (60 by default)', async () => {
    const code = await approvedCode(emulator);
    emulator.clock.advance(60_000);
    await expectInvalidGrant(await exchangeCode(emulator, code));
    let now = Date.UTC(2030, 0, 1);
    await restart({ authorizationCodeTtlSeconds: 5, now: () => now });
    const quick = await approvedCode(emulator);
    now += 4_999;
    expect((await exchangeCode(emulator, quick)).status).toBe(200);
    const late = await approvedCode(emulator);
    now += 5_000;
    await expectInvalidGrant(await exchangeCode(emulator, late));
  });

  it("refuses another client's code and an unknown one", async () => {
    await restart({
      clients: [
        { clientId: 'a', clientSecret: 'sa' },
        { clientId: 'b', clientSecret: 'sb' },
      ],
    });
    const code = await approvedCode(emulator, { client_id: 'a' });
    await expectInvalidGrant(await exchangeCode(emulator, code, {}, basic('b', 'sb')));
    await expectInvalidGrant(await exchangeCode(emulator, 'not-a-code', {}, basic('a', 'sa')));
    const missing = await exchangeCode(emulator, '', {}, basic('a', 'sa'));
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: 'invalid_request' });
  });
});

describe('GET /oauth/authorize with auto=deny, and redirected errors', () => {
  it('auto=deny redirects with error=access_denied and the state', async () => {
    const params = redirectParams(await authorize(emulator, { ...REQUEST, auto: 'deny' }));
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('state')).toBe('xyz');
    expect(params.has('code')).toBe(false);
    expect(emulator.counters).toMatchObject({ consentsDenied: 1, consentsApproved: 0 });
    expect(emulator.requests[0]).toMatchObject({ status: 302, error: 'access_denied' });
  });

  it('redirects unsupported_response_type, invalid_request and invalid_scope', async () => {
    const token = await authorize(emulator, {
      ...REQUEST,
      response_type: 'token',
      auto: 'approve',
    });
    expect(redirectParams(token).get('error')).toBe('unsupported_response_type');
    const { response_type: _omitted, ...noType } = REQUEST;
    expect(redirectParams(await authorize(emulator, noType)).get('error')).toBe('invalid_request');
    const scope = await authorize(emulator, { ...REQUEST, scope: 'identity:scim.me admin.all' });
    const params = redirectParams(scope);
    expect(params.get('error')).toBe('invalid_scope');
    expect(params.get('state')).toBe('xyz');
  });
});

describe('GET /oauth/authorize: an error page, never a redirect', () => {
  it('for an unknown or missing client_id', async () => {
    await expectErrorPage(
      await authorize(emulator, { ...REQUEST, client_id: 'nope' }),
      /Unknown client_id/,
    );
    const { client_id: _omitted, ...noClient } = REQUEST;
    await expectErrorPage(await authorize(emulator, noClient), /Unknown client_id/);
    expect(emulator.requests[0]).toMatchObject({ status: 400, error: 'invalid_client' });
  });

  it('by default: for a missing redirect_uri, or one off loopback, or with a fragment', async () => {
    const { redirect_uri: _omitted, ...noRedirect } = REQUEST;
    await expectErrorPage(
      await authorize(emulator, { ...noRedirect, auto: 'approve' }),
      /required/,
    );
    for (const redirect_uri of [
      'https://evil.example/cb',
      'http://evil.localhost/cb',
      'http://127.0.0.1.evil.example/cb',
      'ftp://127.0.0.1/cb',
      'http://127.0.0.1:3000/cb#frag',
      '/relative',
    ]) {
      const res = await authorize(emulator, { ...REQUEST, redirect_uri, auto: 'approve' });
      await expectErrorPage(res, /redirect_uri/);
    }
    for (const redirect_uri of [
      'http://[::1]:9/cb',
      'https://127.8.9.10/cb',
      'http://localhost/cb',
    ]) {
      const res = await authorize(emulator, { ...REQUEST, redirect_uri, auto: 'approve' });
      expect(res.status).toBe(302);
    }
    expect(emulator.counters.consentsApproved).toBe(3);
  });

  it('with redirectUris: exact match only; without redirect_uri the first is used', async () => {
    const registered = ['https://app.example/callback', 'https://app.example/other'];
    await restart({
      clients: [{ clientId: 'app', clientSecret: 's', redirectUris: registered }],
    });
    const request = { ...REQUEST, client_id: 'app', auto: 'approve' };
    for (const redirect_uri of [
      'https://app.example/callback/',
      'https://app.example/Callback',
      REDIRECT_URI,
    ]) {
      await expectErrorPage(
        await authorize(emulator, { ...request, redirect_uri }),
        /not registered/,
      );
    }
    const other = await authorize(emulator, {
      ...request,
      redirect_uri: 'https://app.example/other',
    });
    expect(redirectParams(other, 'https://app.example/other').get('code')).toBeTruthy();
    const { redirect_uri: _omitted, ...noRedirect } = request;
    const res = await authorize(emulator, noRedirect);
    const code = redirectParams(res, 'https://app.example/callback').get('code') ?? '';
    // Left out at authorize: the exchange may leave it out too, or repeat the one used.
    expect((await exchangeWithoutRedirect(code, basic('app', 's'))).status).toBe(200);
    const again = redirectParams(await authorize(emulator, noRedirect), registered[0]).get('code');
    const repeated = await exchangeCode(
      emulator,
      again ?? '',
      { redirect_uri: registered[0] ?? '' },
      basic('app', 's'),
    );
    expect(repeated.status).toBe(200);
  });

  it('for a repeated client_id or redirect_uri; other repeats are redirected', async () => {
    const base = `${emulator.authUrl}/oauth/authorize?${new URLSearchParams(REQUEST)}`;
    for (const extra of ['client_id=other', `redirect_uri=${encodeURIComponent(REDIRECT_URI)}`]) {
      const res = await fetch(`${base}&${extra}&auto=approve`, { redirect: 'manual' });
      await expectErrorPage(res, /Repeated parameter/);
    }
    const state = await fetch(`${base}&state=again&auto=approve`, { redirect: 'manual' });
    const params = redirectParams(state);
    expect(params.get('error')).toBe('invalid_request');
    expect(params.has('code')).toBe(false);
  });

  it('for an unknown auto value, and 405 for other methods', async () => {
    await expectErrorPage(await authorize(emulator, { ...REQUEST, auto: 'yes' }), /auto must be/);
    const put = await fetch(`${emulator.url}/oauth/authorize`, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST');
  });
});

describe('the consent page', () => {
  beforeEach(async () => {
    await restart({ users: [ANN, BOB] });
  });

  it('offers every user, preselects login_hint, and posts back an approval', async () => {
    const res = await authorize(emulator, { ...REQUEST, login_hint: 'bob' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await res.text();
    expect(page).toContain('<option value="ann">Ann (ann)</option>');
    expect(page).toContain('<option value="bob" selected>bob</option>');
    expect(page).toMatch(/<button[^>]*value="approve"/);
    expect(page).toMatch(/<button[^>]*value="deny"/);
    expect(page).toContain('<code>identity:scim.me</code>');
    expect(page).not.toContain(REDIRECT_URI);

    const approved = await submitConsent(page, { user: 'ann', decision: 'approve' });
    const params = redirectParams(approved);
    expect(params.get('state')).toBe('xyz');
    const body = await json(exchangeCode(emulator, params.get('code') ?? ''));
    expect(body.principal).toBe('ann@example.com');
    expect(emulator.requests.at(-2)).toMatchObject({
      method: 'POST',
      path: '/oauth/authorize',
      status: 302,
      userId: 'ann',
    });
  });

  it('posts back a denial; a consent is answered once', async () => {
    const page = await (await authorize(emulator, REQUEST)).text();
    const denied = await submitConsent(page, { user: 'ann', decision: 'deny' });
    expect(redirectParams(denied).get('error')).toBe('access_denied');
    await expectErrorPage(
      await submitConsent(page, { user: 'ann', decision: 'approve' }),
      /expired/,
    );
    expect(emulator.counters).toMatchObject({ consentsDenied: 1, consentsApproved: 0 });
  });

  it('an expired consent page, an unknown user or decision: an error page', async () => {
    let page = await (await authorize(emulator, REQUEST)).text();
    emulator.clock.advance(10 * 60 * 1000);
    await expectErrorPage(
      await submitConsent(page, { user: 'ann', decision: 'approve' }),
      /expired/,
    );
    page = await (await authorize(emulator, REQUEST)).text();
    await expectErrorPage(
      await submitConsent(page, { user: 'eve', decision: 'approve' }),
      /Malformed/,
    );
    page = await (await authorize(emulator, REQUEST)).text();
    await expectErrorPage(
      await submitConsent(page, { user: 'ann', decision: 'maybe' }),
      /Malformed/,
    );
    const noForm = await fetch(`${emulator.url}/oauth/authorize`, {
      method: 'POST',
      redirect: 'manual',
    });
    await expectErrorPage(noForm, /Malformed/);
  });

  it('escapes what it shows', async () => {
    await restart({
      clients: [{ clientId: '<b>"x"</b>', clientSecret: 's' }],
      users: [{ userId: '<i>u</i>', password: 'pw' }],
    });
    const page = await (await authorize(emulator, { ...REQUEST, client_id: '<b>"x"</b>' })).text();
    expect(page).toContain('&lt;b&gt;&quot;x&quot;&lt;/b&gt;');
    expect(page).toContain('&lt;i&gt;u&lt;/i&gt;');
    expect(page).not.toMatch(/<b>|<i>/);
  });
});

describe('faults', () => {
  it('by default hit the token endpoints, not the consent page', async () => {
    emulator.fault({ type: 'status', status: 503 });
    expect((await authorize(emulator, REQUEST)).status).toBe(200);
    const code = await approvedCode(emulator);
    expect((await exchangeCode(emulator, code)).status).toBe(503);
    emulator.fault({ type: 'status', status: 503 }, { path: '/oauth/authorize' });
    expect((await authorize(emulator, REQUEST)).status).toBe(503);
  });
});
