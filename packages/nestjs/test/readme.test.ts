import { randomUUID } from 'node:crypto';
import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import {
  expectReadmeShows,
  expectReadmeSignIn,
  onCleanup,
  stubGoToEnv,
} from '@goto-auth/test-support';
import { HttpService } from '@nestjs/axios';
import { Controller, Get, type INestApplication, Module, Req } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { firstValueFrom } from 'rxjs';
import { expect, it, vi } from 'vitest';
import { goToHttp, InjectGoToHttp } from '../src/http.js';
import {
  GoToAuthExceptionFilter,
  GoToAuthModule,
  GoToAuthService,
  GoToOAuthModule,
  GoToOAuthService,
} from '../src/index.js';
import { Browser, freePort } from './browser.js';
import { emulator, getJson } from './helpers.js';

it('runs the README usage against the emulator', async () => {
  const emu = await emulator();
  stubGoToEnv(emu);

  // --- README usage (the imports are above) ---
  @Controller('me')
  class MeController {
    constructor(@InjectGoToHttp() private readonly goto: HttpService) {}

    @Get()
    async me() {
      const { data } = await firstValueFrom(this.goto.get('/admin/rest/v1/me'));
      return data;
    }
  }

  @Module({
    imports: [
      GoToAuthModule.forRoot({
        clientId: process.env.GOTO_CLIENT_ID ?? '',
        userId: process.env.GOTO_USER_ID ?? '',
        password: process.env.GOTO_PASSWORD ?? '',
        baseUrl: process.env.GOTO_BASE_URL, // optional: https://api.getgo.com by default
        http: goToHttp(), // an HttpService with baseURL = auth.baseUrl
      }),
    ],
    controllers: [MeController],
  })
  class AppModule {}
  // --- end of README usage ---

  const app = await NestFactory.create(AppModule, { logger: false });
  try {
    await app.listen(0, '127.0.0.1');
    // The warm-up got the token while the app started.
    expect(emu.counters.passwordGrants).toBe(1);
    const { status, body } = await getJson(`${await app.getUrl()}/me`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ organizerKey: EMULATOR_DEFAULTS.organizerKey });
    expect(emu.counters.meCalls).toBe(1);
    expect(emu.counters.passwordGrants).toBe(1);
  } finally {
    await app.close();
  }
});

it('runs the README usage without @nestjs/axios against the emulator', async () => {
  const emu = await emulator();
  stubGoToEnv(emu);

  // --- README usage without @nestjs/axios ---
  @Controller('me')
  class MeController {
    constructor(private readonly goto: GoToAuthService) {}

    @Get()
    async me() {
      const { accessToken } = await this.goto.getToken();
      const url = `${this.goto.auth.baseUrl}/admin/rest/v1/me`;
      const res = await fetch(url, { headers: { authorization: `Bearer ${accessToken}` } });
      return res.json();
    }
  }
  // --- end of README usage ---

  @Module({
    imports: [
      GoToAuthModule.forRoot({
        clientId: process.env.GOTO_CLIENT_ID ?? '',
        userId: process.env.GOTO_USER_ID ?? '',
        password: process.env.GOTO_PASSWORD ?? '',
        baseUrl: process.env.GOTO_BASE_URL,
      }),
    ],
    controllers: [MeController],
  })
  class AppModule {}

  const app: INestApplication = await NestFactory.create(AppModule, { logger: false });
  try {
    await app.listen(0, '127.0.0.1');
    const { status, body } = await getJson(`${await app.getUrl()}/me`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ organizerKey: EMULATOR_DEFAULTS.organizerKey });
  } finally {
    await app.close();
  }
});

/** What the README's sign-in code uses of Express's request and response (no Express types here). */
interface Request {
  session: { principal?: string };
}
type Response = object;

it('runs the README sign-in with GoTo against the emulator', async () => {
  const emu = await emulator();
  const port = await freePort();
  vi.stubEnv('GOTO_CLIENT_ID', EMULATOR_DEFAULTS.clientId);
  vi.stubEnv('GOTO_CLIENT_SECRET', EMULATOR_DEFAULTS.clientSecret);
  vi.stubEnv('GOTO_REDIRECT_URI', `http://127.0.0.1:${port}/auth/goto/callback`);
  // The emulator stands in for GoTo's authentication and API hosts.
  vi.stubEnv('GOTO_BASE_URL', emu.url);
  onCleanup(() => vi.unstubAllEnvs());

  // --- README sign-in (the imports are above) ---
  @Controller('goto')
  class GoToController {
    constructor(private readonly goto: GoToOAuthService) {}

    @Get('me')
    async me(@Req() req: Request) {
      // Nobody signed in: LOGIN_REQUIRED, which the filter answers 401 problem+json.
      const { accessToken } = await this.goto.getToken(req.session.principal ?? '');
      const res = await fetch(`${this.goto.baseUrl}/admin/rest/v1/me`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      return res.json();
    }
  }

  @Module({
    imports: [
      GoToOAuthModule.forRoot({
        clientId: process.env.GOTO_CLIENT_ID ?? '',
        clientSecret: process.env.GOTO_CLIENT_SECRET ?? '',
        redirectUri: process.env.GOTO_REDIRECT_URI ?? '', // https://app.example.com/auth/goto/callback
        baseUrl: process.env.GOTO_BASE_URL,
        routes: {
          path: 'auth/goto',
          onSignIn: (req: Request, _res: Response, { principal }) => {
            req.session.principal = principal;
          },
        },
      }),
    ],
    controllers: [GoToController],
    providers: [{ provide: APP_FILTER, useClass: GoToAuthExceptionFilter }],
  })
  class AppModule {}
  // --- end of README sign-in ---

  const app = await NestFactory.create(AppModule, { logger: false });
  onCleanup(() => app.close());
  // A stand-in for express-session: one session per `sid` cookie.
  const sessions = new Map<string, Request['session']>();
  app.use(
    (
      req: Request & { headers: { cookie?: string } },
      res: { setHeader(name: string, value: string): void },
      next: () => void,
    ) => {
      let sid = /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
      if (sid === undefined || !sessions.has(sid)) {
        sid = randomUUID();
        sessions.set(sid, {});
        res.setHeader('set-cookie', `sid=${sid}; Path=/; HttpOnly`);
      }
      req.session = sessions.get(sid) ?? {};
      next();
    },
  );
  await app.listen(port, '127.0.0.1');
  const base = `http://127.0.0.1:${port}`;

  const browser = new Browser();
  expect((await browser.get(`${base}/goto/me`)).status).toBe(401);
  const login = await browser.get(`${base}/auth/goto/login?returnTo=/goto/me`);
  // The emulator's consent page, answered at once for its default user.
  await expectReadmeSignIn(browser, login, base, '/goto/me');

  // The README shows this very code.
  expectReadmeShows(import.meta.url, '## Sign in with GoTo', 30);
});
