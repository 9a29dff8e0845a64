import { Controller, Get } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { GoToAuthExceptionFilter, GoToAuthModule, GoToAuthService } from '../src/index.js';
import { createApp, emulator, gotoOptions, listen } from './helpers.js';

@Controller('token')
class TokenController {
  constructor(private readonly goto: GoToAuthService) {}

  @Get()
  async token() {
    return { organizerKey: (await this.goto.getToken()).organizerKey };
  }
}

@Controller('boom')
class BoomController {
  @Get()
  boom() {
    throw new Error('not ours');
  }
}

async function get(url: string) {
  const response = await fetch(url, { headers: { connection: 'close' } });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe('GoToAuthExceptionFilter', () => {
  it.each([
    ['unreachable GoTo', { type: 'drop' }, 503],
    ['an unusable answer', { type: 'html' }, 502],
  ] as const)('answers problem+json for %s', async (_name, fault, status) => {
    const emu = await emulator();
    emu.fault(fault, { times: 100 });
    const app = await createApp({
      imports: [GoToAuthModule.forRoot(gotoOptions(emu, { warmUp: false, retry: false }))],
      controllers: [TokenController],
      providers: [{ provide: APP_FILTER, useClass: GoToAuthExceptionFilter }],
    });
    const url = await listen(app);
    const response = await get(`${url}/token`);
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.headers.get('retry-after')).toBe(status === 503 ? '5' : null);
    expect(JSON.parse(response.text)).toMatchObject({ status, code: expect.any(String) });
  });

  it('answers 500 without secrets for rejected credentials and leaves other errors to Nest', async () => {
    const emu = await emulator();
    const options = gotoOptions(emu, { warmUp: false, password: 'wrong-§-password' });
    const app = await createApp({
      imports: [GoToAuthModule.forRoot(options)],
      controllers: [TokenController, BoomController],
      providers: [{ provide: APP_FILTER, useClass: GoToAuthExceptionFilter }],
    });
    const url = await listen(app);
    const response = await get(`${url}/token`);
    expect(response.status).toBe(500);
    expect(JSON.parse(response.text)).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(response.text).not.toContain('wrong-§-password');
    const other = await get(`${url}/boom`);
    expect(other.status).toBe(500);
    expect(other.headers.get('content-type')).toMatch(/^application\/json/);
  });
});
