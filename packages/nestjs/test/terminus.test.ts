import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Controller, type DynamicModule, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { describe, expect, it } from 'vitest';
import { GoToAuthModule, GoToAuthService } from '../src/index.js';
import { GoToAuthHealthIndicator } from '../src/terminus.js';
import { createApp, emulator, getJson, gotoOptions, listen } from './helpers.js';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly goto: GoToAuthHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.goto.isHealthy()]);
  }

  @Get('billing')
  @HealthCheck()
  billing() {
    return this.health.check([() => this.goto.isHealthy('billing', { name: 'billing' })]);
  }
}

async function healthApp(
  options: Parameters<typeof GoToAuthModule.forRoot>[0],
  extra: DynamicModule[] = [],
) {
  const app = await createApp({
    imports: [TerminusModule, GoToAuthModule.forRoot(options), ...extra],
    controllers: [HealthController],
    providers: [GoToAuthHealthIndicator],
  });
  return { app, url: await listen(app) };
}

describe('GoToAuthHealthIndicator', () => {
  it('is up while a token serves, with its expiry and no secret', async () => {
    const emu = await emulator();
    const { app, url } = await healthApp(gotoOptions(emu));
    const token = await app.get(GoToAuthService).getToken();
    const { status, body } = await getJson(`${url}/health`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'ok',
      info: { goto: { status: 'up', state: 'valid', expiresAt: token.expiresAt } },
    });
    const text = JSON.stringify(body);
    expect(text).not.toContain(token.accessToken);
    expect(text).not.toContain(gotoOptions(emu).password);
  });

  it('is down with the error code when no token can be had', async () => {
    const emu = await emulator();
    const { url } = await healthApp(gotoOptions(emu, { password: 'wrong-password' }));
    const { status, body } = await getJson(`${url}/health`);
    expect(status).toBe(503);
    expect(body).toMatchObject({
      status: 'error',
      error: { goto: { status: 'down', state: 'empty', code: 'INVALID_CREDENTIALS' } },
    });
    expect(JSON.stringify(body)).not.toContain('wrong-password');
  });

  it('is down before any token arrived, and up once one did', async () => {
    const emu = await emulator();
    const { app, url } = await healthApp(gotoOptions(emu, { warmUp: false }));
    expect((await getJson(`${url}/health`)).body).toMatchObject({
      error: { goto: { status: 'down', state: 'empty' } },
    });
    await app.get(GoToAuthService).getToken();
    expect((await getJson(`${url}/health`)).status).toBe(200);
  });

  it('stays up while a scheduled refresh runs and the old token still serves', async () => {
    const emu = await emulator();
    let now = Date.now();
    const { app, url } = await healthApp(
      gotoOptions(emu, { now: () => now, refreshMargin: 60_000 }),
    );
    const service = app.get(GoToAuthService);
    const first = await service.getToken();
    emu.fault({ type: 'latency', ms: 500 });
    now = first.expiresAt - 30_000; // inside the margin, before expiry
    const refreshing = service.getToken();
    expect(service.status().state).toBe('refreshing');
    const { status, body } = await getJson(`${url}/health`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ info: { goto: { status: 'up', state: 'refreshing' } } });
    await refreshing;
  });

  it('checks a named instance', async () => {
    const emu = await emulator();
    const { url } = await healthApp(gotoOptions(emu), [
      GoToAuthModule.forRoot({ ...gotoOptions(emu, { password: 'wrong' }), name: 'billing' }),
    ]);
    expect((await getJson(`${url}/health`)).status).toBe(200);
    const billing = await getJson(`${url}/health/billing`);
    expect(billing.status).toBe(503);
    expect(billing.body).toMatchObject({ error: { billing: { code: 'INVALID_CREDENTIALS' } } });
  });
});

describe('@goto-auth/nestjs without @nestjs/terminus', () => {
  it('the main entry never imports terminus: only the ./terminus subpath does', () => {
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const [, spec] of source.matchAll(/from '([^']+)'/g)) {
        expect(spec).not.toBe('@nestjs/terminus');
        if (spec?.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      }
    };
    visit(resolve(import.meta.dirname, '../src/index.ts'));
    expect(seen.size).toBeGreaterThan(3);
    expect(readFileSync(resolve(import.meta.dirname, '../src/terminus.ts'), 'utf8')).toContain(
      "from '@nestjs/terminus'",
    );
  });
});
