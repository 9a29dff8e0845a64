import { Controller, Get } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import {
  GOTO_AUTH,
  type GoToAuth,
  GoToAuthExceptionFilter,
  GoToAuthModule,
  type GoToAuthModuleOptions,
  GoToAuthService,
} from '../src/index.js';
import { CapturingLogger, emulator, getJson, gotoOptions, me } from './helpers.js';

@Controller('token')
class TokenController {
  constructor(private readonly goto: GoToAuthService) {}

  @Get()
  async token() {
    const { organizerKey, tokenType } = await this.goto.getToken();
    return { organizerKey, tokenType };
  }
}

/** A Nest app on @nestjs/platform-fastify, listening on a free loopback port. */
async function fastifyApp(options: GoToAuthModuleOptions) {
  const logger = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [GoToAuthModule.forRoot(options)],
    controllers: [TokenController],
    providers: [{ provide: APP_FILTER, useClass: GoToAuthExceptionFilter }],
  })
    .setLogger(logger)
    .compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
    logger,
  });
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl() };
}

describe('GoToAuthModule on @nestjs/platform-fastify', () => {
  it('serves the token over Fastify, warms up, shares one grant and closes on shutdown', async () => {
    const emu = await emulator();
    const { app, url } = await fastifyApp(gotoOptions(emu));
    const auth = app.get<GoToAuth>(GOTO_AUTH);
    try {
      expect(app.getHttpAdapter().getType()).toBe('fastify');
      // Warm-up ran before listen resolved.
      expect(emu.counters.passwordGrants).toBe(1);

      const answers = await Promise.all(Array.from({ length: 5 }, () => getJson(`${url}/token`)));

      for (const answer of answers) {
        expect(answer).toEqual({
          status: 200,
          body: { organizerKey: expect.any(String), tokenType: 'Bearer' },
        });
      }
      expect(await me(emu, (await auth.getToken()).accessToken)).toBe(200);
      expect(emu.counters.passwordGrants).toBe(1);
    } finally {
      await app.close();
    }
    expect(auth.closed).toBe(true);
  });

  it('answers problem+json through GoToAuthExceptionFilter on Fastify', async () => {
    const emu = await emulator();
    emu.fault({ type: 'rate-limit', retryAfterSeconds: 9 }, { times: 100 });
    const { app, url } = await fastifyApp(gotoOptions(emu, { warmUp: false, retry: false }));
    try {
      const response = await fetch(`${url}/token`, { headers: { connection: 'close' } });

      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.headers.get('retry-after')).toBe('9');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toMatchObject({ status: 503, code: 'RATE_LIMITED' });
    } finally {
      await app.close();
    }
  });
});
