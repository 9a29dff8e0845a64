/**
 * "Sign in with GoTo" in Express, end to end over HTTP: a real Express server on a free port,
 * the emulator's consent (answered at once with `auto`), and a browser's cookie jar.
 */
import { randomUUID } from 'node:crypto';
import {
  createGoToOAuth,
  type GoToAuthError,
  type GoToOAuth,
  type GoToOAuthOptions,
  isGoToAuthError,
} from '@goto-auth/core';
import { EMULATOR_DEFAULTS, type GoToEmulator } from '@goto-auth/emulator';
import { Browser, expectProblemResponse } from '@goto-auth/test-support';
import express, { type ErrorRequestHandler, type Express, type Request } from 'express';
import express4 from 'express4';
import { describe, expect, it, vi } from 'vitest';
import { type GoToSignInOptions, goToSignIn, goToUser } from '../src/index.js';
import { emulator, onCleanup, serve } from './helpers.js';

const ANN = { userId: 'ann', password: 'pw-ann', email: 'ann@example.com' };
const BOB = { userId: 'bob', password: 'pw-bob', email: 'bob@example.com' };
const CALLBACK = '/auth/goto/callback';

/** The login route of the app at `url`, with `query` (`?user=bob`, say). */
function loginAt(url: string, query = ''): string {
  return `${url}/auth/goto/login${query}`;
}

/** The app's own session: a random id in a cookie, the principal on the server. */
function sessions() {
  const byId = new Map<string, string>();
  const principalOf = (req: Request): string | undefined => {
    const sid = /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    return sid === undefined ? undefined : byId.get(sid);
  };
  const onSignIn: GoToSignInOptions['onSignIn'] = (_req, res, { principal }) => {
    const sid = randomUUID();
    byId.set(sid, principal);
    res.cookie('sid', sid, { httpOnly: true, sameSite: 'lax' });
  };
  return { byId, principalOf, onSignIn };
}

interface Setup {
  emu: GoToEmulator;
  oauth: GoToOAuth;
  app: Express;
  url: string;
  session: ReturnType<typeof sessions>;
}

/**
 * An Express app serving the sign-in routes and a `/me` route behind `goToUser`; listens
 * first, so the redirect URI can name its port.
 */
async function setup(
  options: Partial<GoToSignInOptions> = {},
  oauthOptions: Partial<GoToOAuthOptions> = {},
  make: () => Express = express,
): Promise<Setup> {
  const emu = await emulator({ users: [ANN, BOB] });
  const app = make();
  const url = await serve(app);
  const oauth = createGoToOAuth({
    clientId: EMULATOR_DEFAULTS.clientId,
    clientSecret: EMULATOR_DEFAULTS.clientSecret,
    redirectUri: `${url}${CALLBACK}`,
    baseUrl: emu.url,
    logger: false,
    retry: false,
    ...oauthOptions,
  });
  onCleanup(() => oauth.close());
  const session = sessions();
  app.use(
    goToSignIn(oauth, {
      onSignIn: session.onSignIn,
      // The emulator answers its consent page at once for the user the login route names.
      authorization: (req) => ({
        params: {
          auto: String(req.query.decision ?? 'approve'),
          login_hint: String(req.query.user ?? 'ann'),
        },
      }),
      logger: false,
      ...options,
    }),
  );
  app.get('/me', goToUser(oauth, session.principalOf, { logger: false }), async (req, res) => {
    const me = await fetch(`${oauth.baseUrl}/admin/rest/v1/me`, {
      headers: { authorization: `Bearer ${req.goto.accessToken}` },
    });
    res.json({ principal: req.goto.principal, me: me.status });
  });
  return { emu, oauth, app, url, session };
}

function tokenRequests(emu: GoToEmulator): number {
  return emu.requests.filter((r) => r.path === '/oauth/token').length;
}

describe('goToSignIn', () => {
  it('signs a user in: login, consent, callback, then goToUser gives their token', async () => {
    const { emu, url, oauth, session } = await setup();
    const browser = new Browser();

    const login = await browser.get(`${url}/auth/goto/login?returnTo=/me&user=bob`);
    expect(login.status).toBe(302);
    expect(login.headers.get('cache-control')).toBe('no-store');
    const authorize = new URL(login.headers.get('location') ?? '');
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${emu.url}/oauth/authorize`);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${url}${CALLBACK}`);
    expect(browser.jar.has('goto_auth_state')).toBe(true);

    const consent = await browser.get(authorize.href);
    const callback = await browser.get(consent.headers.get('location') ?? '');
    expect(callback.status).toBe(302);
    expect(callback.headers.get('location')).toBe('/me');
    expect(callback.headers.get('cache-control')).toBe('no-store');
    // The state cookie is gone, the app's session cookie is set.
    expect(browser.jar.has('goto_auth_state')).toBe(false);
    expect(browser.setCookies.at(-2)).toMatch(/^goto_auth_state=; .*Max-Age=0/);
    expect([...session.byId.values()]).toEqual([BOB.email]);
    expect(tokenRequests(emu)).toBe(1);

    const me = await browser.get(`${url}/me`);
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ principal: BOB.email, me: 200 });
    // Served from memory: no second exchange or refresh.
    expect(tokenRequests(emu)).toBe(1);
    expect(oauth.cachedToken(BOB.email)).toBeDefined();
  });

  it('keeps users apart: two browsers, two principals, two tokens', async () => {
    const { url } = await setup();
    const ann = new Browser();
    const bob = new Browser();
    await ann.signIn(loginAt(url, '?user=ann'));
    await bob.signIn(loginAt(url, '?user=bob'));
    expect(await (await ann.get(`${url}/me`)).json()).toMatchObject({ principal: ANN.email });
    expect(await (await bob.get(`${url}/me`)).json()).toMatchObject({ principal: BOB.email });
  });

  it('sets an HttpOnly, SameSite=Lax cookie on the callback path, without Secure on 127.0.0.1', async () => {
    const { url } = await setup();
    const browser = new Browser();
    await browser.get(`${url}/auth/goto/login`);
    const header = browser.stateCookie() ?? '';
    const attributes = header
      .split(';')
      .slice(1)
      .map((part) => part.trim());
    expect(attributes.sort()).toEqual(
      ['HttpOnly', 'Max-Age=600', `Path=${CALLBACK}`, 'SameSite=Lax'].sort(),
    );
  });

  it('marks the cookie Secure when the redirect URI is https://', async () => {
    const { url } = await setup(
      { loginPath: '/auth/goto/login' },
      { redirectUri: `https://app.example.com${CALLBACK}` },
    );
    const browser = new Browser();
    const login = await browser.get(`${url}/auth/goto/login`);
    expect(login.status).toBe(302);
    const header = browser.stateCookie() ?? '';
    expect(header.split(';').map((part) => part.trim())).toEqual(
      expect.arrayContaining(['HttpOnly', 'SameSite=Lax', 'Secure', `Path=${CALLBACK}`]),
    );
  });

  it('answers a replayed callback 400 problem+json, with no stack, token, code or secret', async () => {
    const { emu, url, oauth } = await setup();
    const browser = new Browser();
    const { callback } = await browser.signIn(loginAt(url));
    const code = new URL(callback).searchParams.get('code') ?? '';
    const accessToken = oauth.cachedToken(ANN.email)?.accessToken ?? '';
    expect(code).not.toBe('');
    expect(accessToken).not.toBe('');

    // The browser already dropped the state cookie: nothing to check the state against.
    const again = await browser.get(callback);
    await expectProblemResponse(again, 400, 'STATE_MISMATCH', [code, accessToken]);
    expect(tokenRequests(emu)).toBe(1);

    // An attacker who kept the cookie too: the cookie holds, GoTo refuses the spent code.
    const thief = new Browser();
    const login = await thief.get(`${url}/auth/goto/login`);
    const consent = await thief.get(login.headers.get('location') ?? '');
    const stolen = consent.headers.get('location') ?? '';
    const saved = new Map(thief.jar);
    expect((await thief.get(stolen)).status).toBe(302);
    for (const [name, value] of saved) thief.jar.set(name, value);
    const replay = await thief.get(stolen);
    await expectProblemResponse(replay, 400, 'INVALID_CALLBACK', [
      new URL(stolen).searchParams.get('code') ?? '',
      saved.get('goto_auth_state') ?? '',
    ]);
    expect(tokenRequests(emu)).toBe(3);
    // The failed answer clears the state cookie too.
    expect(thief.setCookies.at(-1)).toMatch(/^goto_auth_state=; .*Max-Age=0/);
  });

  it('answers a tampered cookie 400 STATE_MISMATCH without a request to the token endpoint', async () => {
    const { emu, url } = await setup();
    const browser = new Browser();
    const login = await browser.get(`${url}/auth/goto/login`);
    const consent = await browser.get(login.headers.get('location') ?? '');
    const value = browser.jar.get('goto_auth_state') ?? '';
    const [body = '', mac = ''] = value.split('.');
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify({ ...payload, r: '/admin' })).toString('base64url');
    browser.jar.set('goto_auth_state', `${forged}.${mac}`);

    const answer = await browser.get(consent.headers.get('location') ?? '');
    await expectProblemResponse(answer, 400, 'STATE_MISMATCH', [value]);
    expect(tokenRequests(emu)).toBe(0);
    expect(emu.counters.authorizationCodeGrants).toBe(0);
    expect(browser.jar.has('goto_auth_state')).toBe(false);
  });

  it('answers a refused consent 400 ACCESS_DENIED', async () => {
    const { emu, url } = await setup();
    const browser = new Browser();
    const { answer } = await browser.signIn(loginAt(url, '?decision=deny'));
    await expectProblemResponse(answer, 400, 'ACCESS_DENIED');
    expect(tokenRequests(emu)).toBe(0);
  });

  it('answers 503 problem+json with Retry-After when GoTo fails the exchange', async () => {
    const { emu, url } = await setup();
    const browser = new Browser();
    const login = await browser.get(`${url}/auth/goto/login`);
    const consent = await browser.get(login.headers.get('location') ?? '');
    emu.fault({ type: 'status', status: 503 });
    const answer = await browser.get(consent.headers.get('location') ?? '');
    expect(answer.headers.get('retry-after')).toBe('5');
    await expectProblemResponse(answer, 503, 'SERVER_ERROR');
  });

  it('sends the user to a local returnTo only, else to the default', async () => {
    const { url } = await setup({ returnTo: '/home' });
    for (const [query, expected] of [
      ['?returnTo=%2Faccount%3Ftab%3D1', '/account?tab=1'],
      ['?returnTo=%2F%2Fevil.example', '/home'],
      ['?returnTo=https%3A%2F%2Fevil.example', '/home'],
      ['?returnTo=/a&returnTo=/b', '/home'],
      // Non-ASCII comes back percent-encoded: a header cannot carry it as it is.
      ['?returnTo=%2F%E6%97%A5%E6%9C%AC%3Fq%3D%C3%A9%2520', '/%E6%97%A5%E6%9C%AC?q=%C3%A9%20'],
      ['', '/home'],
    ] as const) {
      const { answer } = await new Browser().signIn(loginAt(url, query));
      expect(answer.headers.get('location')).toBe(expected);
    }
  });

  it("lets onSignIn answer itself, and passes onSignIn's failure to next()", async () => {
    let mode: 'answer' | 'throw' | 'reject' = 'answer';
    const handled = vi.fn();
    const { url, app } = await setup({
      onSignIn: async (_req, res) => {
        if (mode === 'throw') throw new Error('session store down');
        if (mode === 'reject') return Promise.reject(new Error('session store down'));
        res.redirect(303, '/welcome');
      },
    });
    const handler: ErrorRequestHandler = (error, _req, res, _next) => {
      handled((error as Error).message);
      res.status(599).end();
    };
    app.use(handler);
    expect((await new Browser().signIn(loginAt(url))).answer.status).toBe(303);
    mode = 'throw';
    expect((await new Browser().signIn(loginAt(url))).answer.status).toBe(599);
    mode = 'reject';
    expect((await new Browser().signIn(loginAt(url))).answer.status).toBe(599);
    expect(handled.mock.calls).toEqual([['session store down'], ['session store down']]);
  });

  it("with onError: 'next', hands the GoToAuthError to the app's handler and still clears the cookie", async () => {
    const { url, app } = await setup({ onError: 'next' });
    const seen: unknown[] = [];
    const handler: ErrorRequestHandler = (error, _req, res, _next) => {
      seen.push(error);
      res.status(418).send('sign-in failed page');
    };
    app.use(handler);
    const browser = new Browser();
    const { answer } = await browser.signIn(loginAt(url, '?decision=deny'));
    expect(answer.status).toBe(418);
    expect(isGoToAuthError(seen[0])).toBe(true);
    expect((seen[0] as GoToAuthError).code).toBe('ACCESS_DENIED');
    expect(browser.jar.has('goto_auth_state')).toBe(false);
  });

  it('serves the routes under a mount point with paths relative to it, and nothing else', async () => {
    const emu = await emulator({ users: [ANN] });
    const app = express();
    const url = await serve(app);
    const oauth = createGoToOAuth({
      clientId: EMULATOR_DEFAULTS.clientId,
      clientSecret: EMULATOR_DEFAULTS.clientSecret,
      redirectUri: `${url}/auth/goto/callback`,
      baseUrl: emu.url,
      logger: false,
    });
    onCleanup(() => oauth.close());
    const session = sessions();
    const routes = goToSignIn(oauth, {
      onSignIn: session.onSignIn,
      loginPath: '/login',
      callbackPath: '/callback',
      authorization: { params: { auto: 'approve', login_hint: 'ann' } },
    });
    expect([routes.loginPath, routes.callbackPath]).toEqual(['/login', '/callback']);
    expect(routes.flow.callbackPath).toBe('/auth/goto/callback');
    app.use('/auth/goto', routes);
    app.use((_req, res) => {
      res.status(404).send('not here');
    });
    const browser = new Browser();
    const { answer } = await browser.signIn(loginAt(url));
    expect(answer.status).toBe(302);
    expect([...session.byId.values()]).toEqual([ANN.email]);
    expect((await browser.get(`${url}/auth/goto/other`)).status).toBe(404);
    expect((await fetch(`${url}/auth/goto/login`, { method: 'POST' })).status).toBe(404);
  });

  it('derives the login path beside the callback path by default', async () => {
    const { url } = await setup();
    expect((await fetch(`${url}/auth/goto/login`, { redirect: 'manual' })).status).toBe(302);
    expect((await fetch(`${url}/login`, { redirect: 'manual' })).status).toBe(404);
  });

  it('refuses unusable options at once', async () => {
    const emu = await emulator();
    const oauth = createGoToOAuth({
      clientId: EMULATOR_DEFAULTS.clientId,
      clientSecret: EMULATOR_DEFAULTS.clientSecret,
      redirectUri: 'http://127.0.0.1:1/cb',
      baseUrl: emu.url,
    });
    onCleanup(() => oauth.close());
    const onSignIn = () => {};
    expect(() => goToSignIn(oauth, { onSignIn, loginPath: 'login' })).toThrow(/"loginPath"/);
    expect(() => goToSignIn(oauth, { onSignIn, loginPath: 42 as never })).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTIONS',
        message: expect.stringMatching(/"loginPath"/),
      }),
    );
    expect(() =>
      goToSignIn(oauth, { onSignIn: 'not a function' as unknown as GoToSignInOptions['onSignIn'] }),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTIONS',
        message: expect.stringMatching(/"onSignIn"/),
      }),
    );
    expect(() => goToSignIn(oauth, { onSignIn, callbackPath: 'cb' })).toThrow(/"callbackPath"/);
    expect(() => goToSignIn(oauth, { onSignIn, secret: 'short' })).toThrow(/"secret"/);
    expect(() =>
      goToSignIn(oauth, { onSignIn: undefined as unknown as GoToSignInOptions['onSignIn'] }),
    ).toThrow(/"onSignIn"/);
  });

  it('works on Express 4', async () => {
    const { url } = await setup({}, {}, express4 as unknown as () => Express);
    const browser = new Browser();
    const { answer } = await browser.signIn(loginAt(url, '?returnTo=/me'));
    expect(answer.status).toBe(302);
    expect(answer.headers.get('location')).toBe('/me');
    const me = await browser.get(`${url}/me`);
    expect(await me.json()).toEqual({ principal: ANN.email, me: 200 });
    const bad = await new Browser().get(`${url}${CALLBACK}?code=x&state=y`);
    await expectProblemResponse(bad, 400, 'STATE_MISMATCH');
  });
});

describe('goToUser', () => {
  it('answers 401 LOGIN_REQUIRED without a session, 200 after signing in, 401 after signOut', async () => {
    const { url, oauth } = await setup();
    const browser = new Browser();
    await expectProblemResponse(await browser.get(`${url}/me`), 401, 'LOGIN_REQUIRED');
    await browser.signIn(loginAt(url));
    expect((await browser.get(`${url}/me`)).status).toBe(200);
    await oauth.signOut(ANN.email);
    await expectProblemResponse(await browser.get(`${url}/me`), 401, 'LOGIN_REQUIRED');
  });

  it('takes an async getPrincipal, and answers 500 without details when it fails', async () => {
    const { url, oauth, app, session } = await setup();
    const error = vi.fn();
    app.get(
      '/async',
      goToUser(oauth, async (req) => session.principalOf(req)),
      (req, res) => {
        res.json({ principal: req.goto.principal });
      },
    );
    app.get(
      '/broken',
      goToUser(
        oauth,
        () => {
          throw new TypeError('cookie=secret-in-a-bug');
        },
        { logger: { error } },
      ),
      (_req, res) => {
        res.send('unreachable');
      },
    );
    app.get(
      '/rejected',
      goToUser(oauth, () => Promise.reject(new TypeError('nope')), { logger: false }),
      (_req, res) => {
        res.send('unreachable');
      },
    );
    const browser = new Browser();
    await expectProblemResponse(await browser.get(`${url}/async`), 401, 'LOGIN_REQUIRED');
    await browser.signIn(loginAt(url));
    expect(await (await browser.get(`${url}/async`)).json()).toEqual({ principal: ANN.email });
    const broken = await browser.get(`${url}/broken`);
    await expectProblemResponse(broken, 500, 'UNEXPECTED_ERROR', ['secret-in-a-bug']);
    expect(error.mock.calls).toEqual([
      [
        '[goto-auth/express] UNEXPECTED_ERROR: cannot get a GoTo token (unexpected TypeError). Answering 500 on GET /broken until the configuration is fixed.',
      ],
    ]);
    await expectProblemResponse(await browser.get(`${url}/rejected`), 500, 'UNEXPECTED_ERROR');
  });

  it("treats an empty or null principal as nobody, and with onError: 'next' passes LOGIN_REQUIRED on", async () => {
    const { url, oauth, app } = await setup();
    const seen: string[] = [];
    app.get(
      '/empty',
      goToUser(oauth, () => ''),
      (_req, res) => {
        res.send('unreachable');
      },
    );
    app.get(
      '/null',
      goToUser(oauth, async () => null),
      (_req, res) => {
        res.send('unreachable');
      },
    );
    app.get(
      '/next',
      goToUser(oauth, () => undefined, { onError: 'next' }),
      (_req, res) => {
        res.send('unreachable');
      },
    );
    const handler: ErrorRequestHandler = (error, _req, res, _next) => {
      seen.push((error as GoToAuthError).code);
      res.status(302).set('location', '/auth/goto/login').end();
    };
    app.use(handler);
    await expectProblemResponse(await fetch(`${url}/empty`), 401, 'LOGIN_REQUIRED');
    await expectProblemResponse(await fetch(`${url}/null`), 401, 'LOGIN_REQUIRED');
    const next = await fetch(`${url}/next`, { redirect: 'manual' });
    expect(next.status).toBe(302);
    expect(seen).toEqual(['LOGIN_REQUIRED']);
  });
});

describe('goToSignIn, failures before GoTo', () => {
  it('passes a throw of the authorization option to next(), with no redirect and no state cookie', async () => {
    const { url, app } = await setup({
      authorization: () => {
        throw new Error('no tenant for this host');
      },
    });
    const seen: string[] = [];
    const handler: ErrorRequestHandler = (error, _req, res, _next) => {
      seen.push((error as Error).message);
      res.status(599).end();
    };
    app.use(handler);
    const browser = new Browser();
    const login = await browser.get(loginAt(url));
    expect(login.status).toBe(599);
    expect(seen).toEqual(['no tenant for this host']);
    expect(browser.setCookies).toEqual([]);
  });

  it('answers a login whose options core refuses 500 problem+json, and logs it', async () => {
    const error = vi.fn();
    const { url } = await setup({
      // A JavaScript caller passing the state the flow owns: core refuses an empty one.
      authorization: { state: '' } as GoToSignInOptions['authorization'],
      logger: { error },
    });
    const browser = new Browser();
    await expectProblemResponse(await browser.get(loginAt(url)), 500, 'INVALID_OPTIONS');
    expect(browser.setCookies).toEqual([expect.stringMatching(/^goto_auth_state=; .*Max-Age=0/)]);
    expect(error.mock.calls).toEqual([
      [
        '[goto-auth/express] INVALID_OPTIONS: the GoTo sign-in failed (authorizationUrl: "state" must be a non-empty string.). Answering 500 on GET /auth/goto/login until the configuration is fixed.',
      ],
    ]);
  });

  it('passes a synchronous throw of onSignIn to next(), after the state cookie is cleared', async () => {
    const { url, app } = await setup({
      onSignIn: () => {
        throw new Error('session store down');
      },
    });
    const seen: string[] = [];
    const handler: ErrorRequestHandler = (error, _req, res, _next) => {
      seen.push((error as Error).message);
      res.status(599).end();
    };
    app.use(handler);
    const browser = new Browser();
    const { answer } = await browser.signIn(loginAt(url));
    expect(answer.status).toBe(599);
    expect(seen).toEqual(['session store down']);
    expect(browser.jar.has('goto_auth_state')).toBe(false);
  });

  it('serves GET only on the callback path', async () => {
    const { emu, url, app } = await setup();
    app.use((_req, res) => {
      res.status(404).send('not here');
    });
    const browser = new Browser();
    const login = await browser.get(loginAt(url));
    const consent = await browser.get(login.headers.get('location') ?? '');
    const callback = consent.headers.get('location') ?? '';
    const cookie = `goto_auth_state=${browser.jar.get('goto_auth_state')}`;
    expect((await fetch(callback, { method: 'POST', headers: { cookie } })).status).toBe(404);
    expect(tokenRequests(emu)).toBe(0);
    expect((await browser.get(callback)).status).toBe(302);
  });
});

describe('goToSignIn, paths', () => {
  it('reads returnTo on a login route at the root path', async () => {
    const { url } = await setup({ loginPath: '/' });
    const { answer } = await new Browser().signIn(`${url}/?returnTo=%2Faccount&user=ann`);
    expect(answer.status).toBe(302);
    expect(answer.headers.get('location')).toBe('/account');
  });
});

describe('goToUser, without a principal', () => {
  it('refuses the request itself, before asking core for a token', async () => {
    const { url, oauth, app } = await setup();
    const seen: unknown[] = [];
    for (const [path, principal] of [
      ['/undefined', undefined],
      ['/null', null],
      ['/empty', ''],
    ] as const) {
      app.get(
        path,
        goToUser(oauth, () => principal, { onError: 'next' }),
        (_req, res) => {
          res.send('unreachable');
        },
      );
    }
    const handler: ErrorRequestHandler = (error, _req, res, _next) => {
      seen.push(error);
      res.status(401).end();
    };
    app.use(handler);
    for (const path of ['/undefined', '/null', '/empty']) {
      expect((await fetch(`${url}${path}`)).status).toBe(401);
    }
    expect(seen).toEqual(
      Array.from({ length: 3 }, () =>
        expect.objectContaining({
          code: 'LOGIN_REQUIRED',
          message: 'No user is signed in with GoTo on this request.',
        }),
      ),
    );
  });
});
