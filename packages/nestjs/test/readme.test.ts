import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import { stubGoToEnv } from '@goto-auth/test-support';
import { HttpService } from '@nestjs/axios';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { firstValueFrom } from 'rxjs';
import { expect, it } from 'vitest';
import { goToHttp, InjectGoToHttp } from '../src/http.js';
import { GoToAuthModule, GoToAuthService } from '../src/index.js';
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
