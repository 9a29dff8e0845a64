/**
 * GoToOAuthModule: "sign in with GoTo" in a real Nest app (Express and Fastify platforms) over
 * HTTP against the emulator, the service's lifecycle, and the mountable controller.
 */

import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import type { GoToOAuth } from '@goto-auth/core';
import { EMULATOR_DEFAULTS, type GoToEmulator } from '@goto-auth/emulator';
import {
  expectProblemResponse,
  followAuthorization,
  OAUTH_REDIRECT_URI,
  onCleanup,
} from '@goto-auth/test-support';
import {
  Controller,
  Get,
  type INestApplication,
  Inject,
  Injectable,
  Module,
  Req,
} from '@nestjs/common';
import { APP_FILTER, HttpAdapterHost } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import {
  GOTO_OAUTH,
  GoToAuthExceptionFilter,
  GoToOAuthController,
  GoToOAuthModule,
  type GoToOAuthModuleOptions,
  type GoToOAuthOptionsFactory,
  type GoToOAuthRoutes,
  GoToOAuthService,
  type GoToSignedIn,
} from '../src/index.js';
import { attributes, Browser, freePort } from './browser.js';
import { CapturingLogger, createApp, emulator } from './helpers.js';

const ANN = { userId: 'ann', password: 'pw-ann', email: 'ann@example.com' };
const BOB = { userId: 'bob', password: 'pw-bob', email: 'bob@example.com' };

/** The app's own session: a random id in a cookie, the principal on the server. */
class Sessions {
  readonly byId = new Map<string, string>();
  principalOf(headers: { cookie?: string | undefined }): string | undefined {
    const sid = /(?:^|;\s*)sid=([^;]+)/.exec(headers.cookie ?? '')?.[1];
    return sid === undefined ? undefined : this.byId.get(sid);
  }
  open(principal: string): string {
    const sid = randomUUID();
    this.byId.set(sid, principal);
    return `sid=${sid}; Path=/; HttpOnly; SameSite=Lax`;
  }
}

const SESSIONS = 'SESSIONS';

/** What the tests use of Express's request and response (the package has no Express types). */
interface Request {
  query: Record<string, unknown>;
}
interface Response {
  append(name: string, value: string): unknown;
  redirect(status: number, url: string): unknown;
}

/** A route that calls GoTo with the signed-in user's token. */
@Controller('me')
class MeController {
  constructor(
    private readonly goto: GoToOAuthService,
    @Inject(SESSIONS) private readonly sessions: Sessions,
  ) {}

  @Get()
  async me(@Req() req: { headers: { cookie?: string } }) {
    // No principal answers LOGIN_REQUIRED (401) through the filter.
    const token = await this.goto.getToken(this.sessions.principalOf(req.headers) ?? '');
    const me = await fetch(`${this.goto.baseUrl}/admin/rest/v1/me`, {
      headers: { authorization: `Bearer ${token.accessToken}` },
    });
    return { principal: token.principal, me: me.status };
  }
}

function oauthOptions(
  emu: GoToEmulator,
  redirectUri: string,
  options: Partial<GoToOAuthModuleOptions> = {},
): GoToOAuthModuleOptions {
  return {
    clientId: EMULATOR_DEFAULTS.clientId,
    clientSecret: EMULATOR_DEFAULTS.clientSecret,
    redirectUri,
    baseUrl: emu.url,
    retry: false,
    ...options,
  };
}

/** Routes whose login chooses the emulator's answer: `?user=` and `?decision=`. */
function routes(sessions: Sessions, path = 'auth/goto'): GoToOAuthRoutes<Request, Response> {
  return {
    path,
    onSignIn: (_req, res, { principal }) => {
      res.append('set-cookie', sessions.open(principal));
    },
    authorization: (req) => ({
      params: {
        auto: String(req.query.decision ?? 'approve'),
        login_hint: String(req.query.user ?? 'ann'),
      },
    }),
  };
}

interface Started {
  emu: GoToEmulator;
  app: INestApplication;
  url: string;
  sessions: Sessions;
}

/** A Nest app (Express platform) with the module and its routes, on a port chosen first. */
async function start(
  module: (emu: GoToEmulator, redirectUri: string, sessions: Sessions) => unknown,
  controllers: Array<new (...args: never[]) => unknown> = [MeController],
): Promise<Started> {
  const emu = await emulator({ users: [ANN, BOB] });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const sessions = new Sessions();
  const app = await createApp({
    imports: [module(emu, `${url}/auth/goto/callback`, sessions) as never],
    controllers,
    providers: [
      { provide: SESSIONS, useValue: sessions },
      { provide: APP_FILTER, useClass: GoToAuthExceptionFilter },
    ],
  });
  await app.listen(port, '127.0.0.1');
  return { emu, app, url, sessions };
}

function tokenRequests(emu: GoToEmulator): number {
  return emu.requests.filter((r) => r.path === '/oauth/token').length;
}

describe('GoToOAuthModule.forRoot with routes', () => {
  it('signs a user in over HTTP, then GoToOAuthService gives their token', async () => {
    const { emu, app, url, sessions } = await start((emu, redirectUri, sessions) =>
      GoToOAuthModule.forRoot({ ...oauthOptions(emu, redirectUri), routes: routes(sessions) }),
    );
    const browser = new Browser();
    await expectProblemResponse(await browser.get(`${url}/me`), 401, 'LOGIN_REQUIRED');

    const login = await browser.get(`${url}/auth/goto/login?user=bob&returnTo=/me`);
    expect(login.status).toBe(302);
    expect(login.headers.get('cache-control')).toBe('no-store');
    const authorize = new URL(login.headers.get('location') ?? '');
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${url}/auth/goto/callback`);
    expect(attributes(browser.stateCookie() ?? '').sort()).toEqual(
      ['HttpOnly', 'Max-Age=600', 'Path=/auth/goto/callback', 'SameSite=Lax'].sort(),
    );

    const consent = await browser.get(authorize.href);
    const callback = await browser.get(consent.headers.get('location') ?? '');
    expect(callback.status).toBe(302);
    expect(callback.headers.get('location')).toBe('/me');
    expect(callback.headers.get('cache-control')).toBe('no-store');
    expect(browser.jar.has('goto_auth_state')).toBe(false);
    expect([...sessions.byId.values()]).toEqual([BOB.email]);

    const me = await browser.get(`${url}/me`);
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ principal: BOB.email, me: 200 });
    expect(tokenRequests(emu)).toBe(1);
    expect(app.get(GOTO_OAUTH)).toBe(app.get(GoToOAuthService).oauth);
  });

  it('answers a replayed callback 400 problem+json, with no stack, token, code or secret', async () => {
    const { emu, app, url } = await start((emu, redirectUri, sessions) =>
      GoToOAuthModule.forRoot({ ...oauthOptions(emu, redirectUri), routes: routes(sessions) }),
    );
    const browser = new Browser();
    const login = await browser.get(`${url}/auth/goto/login`);
    const consent = await browser.get(login.headers.get('location') ?? '');
    const callback = consent.headers.get('location') ?? '';
    const saved = new Map(browser.jar);
    expect((await browser.get(callback)).status).toBe(302);
    const accessToken = app.get(GoToOAuthService).cachedToken(ANN.email)?.accessToken ?? '';
    const code = new URL(callback).searchParams.get('code') ?? '';
    expect(accessToken).not.toBe('');

    // Without the state cookie (the browser dropped it): refused before any request.
    await expectProblemResponse(await browser.get(callback), 400, 'STATE_MISMATCH', [
      code,
      accessToken,
    ]);
    expect(tokenRequests(emu)).toBe(1);
    // With the cookie kept: GoTo refuses the spent code.
    for (const [name, value] of saved) browser.jar.set(name, value);
    const replay = await browser.get(callback);
    await expectProblemResponse(replay, 400, 'INVALID_CALLBACK', [
      code,
      accessToken,
      saved.get('goto_auth_state') ?? '',
    ]);
    expect(browser.setCookies.at(-1)).toMatch(/^goto_auth_state=; .*Max-Age=0/);
    expect(tokenRequests(emu)).toBe(2);
  });

  it('answers a tampered cookie 400 STATE_MISMATCH without a request to the token endpoint', async () => {
    const { emu, url } = await start((emu, redirectUri, sessions) =>
      GoToOAuthModule.forRoot({ ...oauthOptions(emu, redirectUri), routes: routes(sessions) }),
    );
    const browser = new Browser();
    const login = await browser.get(`${url}/auth/goto/login`);
    const consent = await browser.get(login.headers.get('location') ?? '');
    const value = browser.jar.get('goto_auth_state') ?? '';
    browser.jar.set('goto_auth_state', `${value.slice(0, 10)}X${value.slice(11)}`);
    await expectProblemResponse(
      await browser.get(consent.headers.get('location') ?? ''),
      400,
      'STATE_MISMATCH',
    );
    expect(tokenRequests(emu)).toBe(0);
    expect(browser.jar.has('goto_auth_state')).toBe(false);
  });

  it('answers a refused consent 400 ACCESS_DENIED', async () => {
    const { emu, url } = await start((emu, redirectUri, sessions) =>
      GoToOAuthModule.forRoot({ ...oauthOptions(emu, redirectUri), routes: routes(sessions) }),
    );
    const { answer } = await new Browser().signIn(`${url}/auth/goto/login?decision=deny`);
    await expectProblemResponse(answer, 400, 'ACCESS_DENIED');
    expect(tokenRequests(emu)).toBe(0);
  });

  it('takes the cookie options, and marks the cookie Secure for an https:// redirect URI', async () => {
    const { url } = await start((emu, _redirectUri, sessions) =>
      GoToOAuthModule.forRoot({
        ...oauthOptions(emu, 'https://app.example.com/auth/goto/callback', {
          signIn: { cookieName: 'signin', maxAgeSeconds: 300 },
        }),
        routes: routes(sessions),
      }),
    );
    const browser = new Browser();
    expect((await browser.get(`${url}/auth/goto/login`)).status).toBe(302);
    expect(attributes(browser.stateCookie('signin') ?? '').sort()).toEqual(
      ['HttpOnly', 'Max-Age=300', 'Path=/auth/goto/callback', 'SameSite=Lax', 'Secure'].sort(),
    );
  });

  it('takes returnTo only when the login URL gives exactly one', async () => {
    const { url } = await start((emu, redirectUri, sessions) =>
      GoToOAuthModule.forRoot({ ...oauthOptions(emu, redirectUri), routes: routes(sessions) }),
    );
    for (const [query, expected] of [
      ['?returnTo=%2Faccount', '/account'],
      ['?returnTo=/a&returnTo=/b', '/'],
      ['', '/'],
    ] as const) {
      const { answer } = await new Browser().signIn(`${url}/auth/goto/login${query}`);
      expect(answer.headers.get('location')).toBe(expected);
    }
  });

  it('sends onSignIn failures to Nest, not as a GoTo problem', async () => {
    const { url } = await start((emu, redirectUri) =>
      GoToOAuthModule.forRoot({
        ...oauthOptions(emu, redirectUri),
        routes: {
          path: 'auth/goto',
          onSignIn: () => Promise.reject(new Error('session store down')),
          authorization: { params: { auto: 'approve', login_hint: 'ann' } },
        },
      }),
    );
    const { answer } = await new Browser().signIn(`${url}/auth/goto/login`);
    expect(answer.status).toBe(500);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await answer.text()).not.toContain('session store down');
  });
});

describe('GoToOAuthModule.forRootAsync', () => {
  @Injectable()
  class Config {
    values: Record<string, string> = {};
    get(key: string): string {
      return this.values[key] ?? '';
    }
  }
  const config = new Config();
  @Module({ providers: [{ provide: Config, useValue: config }], exports: [Config] })
  class ConfigModule {}

  it('takes the options from a factory with inject and imports, and mounts the routes', async () => {
    const { url, app, sessions } = await start((emu, redirectUri, sessions) => {
      config.values = {
        GOTO_CLIENT_ID: EMULATOR_DEFAULTS.clientId,
        GOTO_CLIENT_SECRET: EMULATOR_DEFAULTS.clientSecret,
        GOTO_REDIRECT_URI: redirectUri,
        GOTO_BASE_URL: emu.url,
      };
      return GoToOAuthModule.forRootAsync({
        imports: [ConfigModule],
        inject: [Config],
        useFactory: (c: Config) => ({
          clientId: c.get('GOTO_CLIENT_ID'),
          clientSecret: c.get('GOTO_CLIENT_SECRET'),
          redirectUri: c.get('GOTO_REDIRECT_URI'),
          baseUrl: c.get('GOTO_BASE_URL'),
        }),
        routes: routes(sessions, 'auth/goto'),
      });
    });
    const browser = new Browser();
    const { answer } = await browser.signIn(`${url}/auth/goto/login`);
    expect(answer.status).toBe(302);
    expect([...sessions.byId.values()]).toEqual([ANN.email]);
    expect(await (await browser.get(`${url}/me`)).json()).toEqual({
      principal: ANN.email,
      me: 200,
    });
    expect(app.get(GoToOAuthService).flow.callbackPath).toBe('/auth/goto/callback');
  });
});

describe('GoToOAuthModule without routes', () => {
  it('mounts nothing; the service and the core object are injectable and close on shutdown', async () => {
    const { app, url } = await start((emu, redirectUri) =>
      GoToOAuthModule.forRoot(oauthOptions(emu, redirectUri)),
    );
    expect((await new Browser().get(`${url}/auth/goto/login`)).status).toBe(404);
    expect((await new Browser().get(`${url}/auth/goto/callback`)).status).toBe(404);
    const service = app.get(GoToOAuthService);
    const oauth = app.get<GoToOAuth>(GOTO_OAUTH);
    expect(oauth).toBe(service.oauth);
    const { url: authorize, state } = service.authorizationUrl({ scope: 'identity:scim.me' });
    expect(new URL(authorize).searchParams.get('state')).toBe(state);
    expect(service.status(ANN.email).state).toBe('empty');
    for (const text of [inspect(service, { depth: 4 }), JSON.stringify(service.flow)]) {
      expect(text).not.toContain(EMULATOR_DEFAULTS.clientSecret);
    }
    await app.close();
    expect(oauth.closed).toBe(true);
    await expect(service.getToken(ANN.email)).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('refuses unusable routes or cookie options at start', async () => {
    const emu = await emulator();
    expect(() =>
      GoToOAuthModule.forRoot({
        ...oauthOptions(emu, 'http://127.0.0.1:1/cb'),
        routes: { path: 'auth', onSignIn: undefined as unknown as GoToOAuthRoutes['onSignIn'] },
      }),
    ).toThrow(/"routes"/);
    const moduleRef = Test.createTestingModule({
      imports: [
        GoToOAuthModule.forRoot(
          oauthOptions(emu, 'http://127.0.0.1:1/cb', { signIn: { secret: 'short' } }),
        ),
      ],
    }).setLogger(new CapturingLogger());
    await expect(moduleRef.compile()).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });
});

describe('GoToOAuthController, extended', () => {
  @Injectable()
  class Users {
    readonly seen: string[] = [];
  }

  // The app's own controller: DI in onSignIn, its own scope and path.
  @Controller('signin/goto')
  class SignInController extends GoToOAuthController {
    constructor(
      goto: GoToOAuthService,
      host: HttpAdapterHost,
      private readonly users: Users,
      @Inject(SESSIONS) private readonly sessions: Sessions,
    ) {
      super(goto, host);
    }

    protected override async onSignIn(_req: Request, res: Response, signedIn: GoToSignedIn) {
      this.users.seen.push(signedIn.principal);
      res.append('set-cookie', this.sessions.open(signedIn.principal));
      res.redirect(303, `/welcome?to=${encodeURIComponent(signedIn.returnTo)}`);
    }

    protected override authorization(req: Request) {
      return {
        scope: 'identity:scim.me',
        params: { auto: 'approve', login_hint: String(req.query.user) },
      };
    }
  }

  it('serves login and callback under its own @Controller path with its own providers', async () => {
    const emu = await emulator({ users: [ANN, BOB] });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const sessions = new Sessions();
    const logger = new CapturingLogger();
    const app = await createApp(
      {
        imports: [GoToOAuthModule.forRoot(oauthOptions(emu, `${url}/signin/goto/callback`))],
        controllers: [SignInController, MeController],
        providers: [Users, { provide: SESSIONS, useValue: sessions }],
      },
      logger,
    );
    await app.listen(port, '127.0.0.1');
    const browser = new Browser();
    const login = await browser.get(`${url}/signin/goto/login?user=bob&returnTo=/me`);
    expect(new URL(login.headers.get('location') ?? '').searchParams.get('scope')).toBe(
      'identity:scim.me',
    );
    const consent = await browser.get(login.headers.get('location') ?? '');
    const answer = await browser.get(consent.headers.get('location') ?? '');
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('/welcome?to=%2Fme');
    expect(app.get(Users).seen).toEqual([BOB.email]);
    // onSignIn answered: the route does not try to redirect on top of it.
    expect(logger.lines.filter((line) => line.level === 'error')).toEqual([]);
    // No APP_FILTER here: the controller's own filter answers problem+json.
    await expectProblemResponse(
      await browser.get(consent.headers.get('location') ?? ''),
      400,
      'STATE_MISMATCH',
    );
  });
});

describe('GoToOAuthModule on @nestjs/platform-fastify', () => {
  it('signs a user in and answers a bad callback 400 problem+json', async () => {
    const emu = await emulator({ users: [ANN, BOB] });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const sessions = new Sessions();
    const logger = new CapturingLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [
        GoToOAuthModule.forRoot({
          ...oauthOptions(emu, `${url}/auth/goto/callback`),
          routes: {
            path: 'auth/goto',
            onSignIn: (
              _req,
              res: { header(name: string, value: string): unknown },
              { principal },
            ) => {
              res.header('set-cookie', sessions.open(principal));
            },
            authorization: (req: { query: Record<string, string> }) => ({
              params: { auto: req.query.decision ?? 'approve', login_hint: 'bob' },
            }),
          },
        }),
      ],
      controllers: [MeController],
      providers: [
        { provide: SESSIONS, useValue: sessions },
        { provide: APP_FILTER, useClass: GoToAuthExceptionFilter },
      ],
    })
      .setLogger(logger)
      .compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
      logger,
    });
    onCleanup(() => app.close());
    await app.listen(port, '127.0.0.1');
    expect(app.getHttpAdapter().getType()).toBe('fastify');

    const browser = new Browser();
    const { answer, callback } = await browser.signIn(`${url}/auth/goto/login?returnTo=/me`);
    expect(answer.status).toBe(302);
    expect(answer.headers.get('location')).toBe('/me');
    expect(
      attributes(browser.setCookies.find((h) => h.startsWith('goto_auth_state=;')) ?? ''),
    ).toContain('Max-Age=0');
    expect(await (await browser.get(`${url}/me`)).json()).toEqual({
      principal: BOB.email,
      me: 200,
    });
    await expectProblemResponse(await browser.get(callback), 400, 'STATE_MISMATCH');
    const denied = await new Browser().signIn(`${url}/auth/goto/login?decision=deny`);
    await expectProblemResponse(denied.answer, 400, 'ACCESS_DENIED');
    expect(tokenRequests(emu)).toBe(1);
  });
});

describe('GoToOAuthController, edge cases', () => {
  // Extended without onSignIn: the sign-in must fail, not drop the principal silently.
  @Controller('plain/goto')
  class PlainController extends GoToOAuthController {}

  async function plainApp() {
    const emu = await emulator({ users: [ANN] });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const logger = new CapturingLogger();
    const app = await createApp(
      {
        imports: [GoToOAuthModule.forRoot(oauthOptions(emu, `${url}/plain/goto/callback`))],
        controllers: [PlainController],
      },
      logger,
    );
    await app.listen(port, '127.0.0.1');
    return { emu, app, url, logger };
  }

  it('fails the callback of a controller that does not override onSignIn', async () => {
    const { app, url, logger } = await plainApp();
    const browser = new Browser();
    const login = await browser.get(`${url}/plain/goto/login`);
    expect(login.status).toBe(302);
    const authorize = new URL(login.headers.get('location') ?? '');
    // No authorization() override: GoTo's URL carries the flow's own parameters only.
    expect([...authorize.searchParams.keys()].sort()).toEqual(
      ['client_id', 'redirect_uri', 'response_type', 'state'].sort(),
    );
    const consent = await browser.get(`${authorize.href}&auto=approve&login_hint=ann`);
    const answer = await browser.get(consent.headers.get('location') ?? '');
    expect(answer.status).toBe(500);
    expect(answer.headers.get('location')).toBeNull();
    // The code was exchanged before onSignIn ran.
    expect(app.get(GoToOAuthService).cachedToken(ANN.email)).toBeDefined();
    // The app's log says what is missing.
    expect(logger.text()).toContain(
      'GoToOAuthController: override onSignIn() to keep the signed-in principal in your session.',
    );
  });

  it('answers a failure of the flow that is not a GoToAuthError 500 UNEXPECTED_ERROR, and clears the cookie', async () => {
    const { app, url } = await plainApp();
    Object.defineProperty(app.get(GoToOAuthService), 'finishSignIn', {
      value: () => Promise.reject(new TypeError('cookie=secret-in-a-bug')),
    });
    const browser = new Browser();
    const login = await browser.get(`${url}/plain/goto/login`);
    const consent = await browser.get(
      `${login.headers.get('location')}&auto=approve&login_hint=ann`,
    );
    const answer = await browser.get(consent.headers.get('location') ?? '');
    await expectProblemResponse(answer, 500, 'UNEXPECTED_ERROR', ['secret-in-a-bug']);
    expect(browser.setCookies.at(-1)).toMatch(/^goto_auth_state=; .*Max-Age=0/);
  });

  it('refuses routes without a path string', async () => {
    const emu = await emulator();
    expect(() =>
      GoToOAuthModule.forRoot({
        ...oauthOptions(emu, 'http://127.0.0.1:1/cb'),
        routes: { path: undefined as unknown as string, onSignIn: () => {} },
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTIONS',
        message: expect.stringMatching(/"routes"/),
      }),
    );
  });
});

describe('GoToOAuthService', () => {
  it("signs in with a state the caller keeps, then serves, scopes, invalidates and forgets the user's tokens", async () => {
    const emu = await emulator({ users: [ANN] });
    const app = await createApp({
      imports: [GoToOAuthModule.forRoot(oauthOptions(emu, OAUTH_REDIRECT_URI))],
    });
    await app.init();
    const service = app.get(GoToOAuthService);
    expect(service.baseUrl).toBe(emu.url);
    const { url, state } = service.authorizationUrl({
      params: { auto: 'approve', login_hint: ANN.userId },
    });
    const signedIn = await service.handleCallback(await followAuthorization(url), { state });
    expect(signedIn.principal).toBe(ANN.email);
    const first = service.cachedToken(ANN.email);
    expect(first?.accessToken).toEqual(expect.any(String));
    expect(await service.getToken(ANN.email)).toEqual(first);
    expect((await service.forPrincipal(ANN.email).getToken()).accessToken).toBe(first?.accessToken);
    expect(service.status(ANN.email).state).toBe('valid');

    expect(service.invalidate(ANN.email, first?.accessToken ?? '')).toBe(true);
    expect(service.cachedToken(ANN.email)).toBeUndefined();
    // The caller's signal reaches core: an aborted wait rejects ABORTED.
    await expect(
      service.getToken(ANN.email, { signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    const second = await service.getToken(ANN.email);
    expect(second.accessToken).not.toBe(first?.accessToken);

    await service.signOut(ANN.email);
    expect(service.cachedToken(ANN.email)).toBeUndefined();
    await expect(service.getToken(ANN.email)).rejects.toMatchObject({ code: 'LOGIN_REQUIRED' });
  });

  it("routes core's log lines to Nest's logger under the GoToOAuth context", async () => {
    const emu = await emulator({ users: [ANN] });
    const logger = new CapturingLogger();
    const app = await createApp(
      { imports: [GoToOAuthModule.forRoot(oauthOptions(emu, OAUTH_REDIRECT_URI))] },
      logger,
    );
    await app.init();
    const service = app.get(GoToOAuthService);
    const { url, state } = service.authorizationUrl({
      params: { auto: 'approve', login_hint: ANN.userId },
    });
    await service.handleCallback(await followAuthorization(url), { state });
    service.oauth.on('invalidated', () => {
      throw new Error('listener bug');
    });
    expect(service.invalidate(ANN.email, service.cachedToken(ANN.email)?.accessToken ?? '')).toBe(
      true,
    );
    emu.fault({ type: 'status', status: 503 });
    await expect(service.getToken(ANN.email)).rejects.toMatchObject({ code: 'SERVER_ERROR' });
    expect(logger.lines).toContainEqual({
      level: 'warn',
      context: 'GoToOAuth',
      message: expect.stringMatching(/^\[goto-auth\] SERVER_ERROR: /),
    });
    expect(logger.lines).toContainEqual({
      level: 'error',
      context: 'GoToOAuth',
      message: expect.stringMatching(/an event listener threw/),
    });
  });
});

describe('GoToOAuthModule registration', () => {
  it('accepts an options factory class', async () => {
    const emu = await emulator({ users: [ANN] });
    @Injectable()
    class Options implements GoToOAuthOptionsFactory {
      createGoToOAuthOptions() {
        return oauthOptions(emu, OAUTH_REDIRECT_URI);
      }
    }
    const app = await createApp({ imports: [GoToOAuthModule.forRootAsync({ useClass: Options })] });
    await app.init();
    expect(app.get(GoToOAuthService).baseUrl).toBe(emu.url);
  });

  it('is visible to feature modules that do not import it only with isGlobal', async () => {
    const emu = await emulator();
    @Injectable()
    class Feature {
      constructor(readonly goto: GoToOAuthService) {}
    }
    @Module({ providers: [Feature] })
    class FeatureModule {}
    const local = Test.createTestingModule({
      imports: [GoToOAuthModule.forRoot(oauthOptions(emu, OAUTH_REDIRECT_URI)), FeatureModule],
    }).setLogger(new CapturingLogger());
    await expect(local.compile()).rejects.toThrow(/GoToOAuthService/);
    const app = await createApp({
      imports: [
        GoToOAuthModule.forRoot({ ...oauthOptions(emu, OAUTH_REDIRECT_URI), isGlobal: true }),
        FeatureModule,
      ],
    });
    expect(app.get(Feature).goto).toBe(app.get(GoToOAuthService));
  });

  it("provides the core object under the string token 'GOTO_OAUTH' too", async () => {
    const emu = await emulator();
    @Injectable()
    class ByName {
      constructor(@Inject('GOTO_OAUTH') readonly oauth: GoToOAuth) {}
    }
    const app = await createApp({
      imports: [GoToOAuthModule.forRoot(oauthOptions(emu, OAUTH_REDIRECT_URI))],
      providers: [ByName],
    });
    expect(GOTO_OAUTH).toBe('GOTO_OAUTH');
    expect(app.get(ByName).oauth).toBe(app.get(GoToOAuthService).oauth);
  });
});
