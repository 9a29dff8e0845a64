import { readFileSync } from 'node:fs';
import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import { json, recorder } from '@goto-auth/test-support';
import { HttpService } from '@nestjs/axios';
import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { GOTO_HTTP, getGoToHttpToken, goToHttp, InjectGoToHttp } from '../src/http.js';
import { type GoToAuth, GoToAuthModule, getGoToAuthToken, InjectGoToAuth } from '../src/index.js';
import { createApp, emulator, getJson, gotoOptions, listen } from './helpers.js';

interface Me {
  organizerKey: string;
}

@Controller('me')
class MeController {
  constructor(@InjectGoToHttp() private readonly goto: HttpService) {}

  @Get()
  async me() {
    const { data } = await firstValueFrom(this.goto.get<Me>('/admin/rest/v1/me'));
    return { organizerKey: data.organizerKey, baseURL: this.goto.axiosRef.defaults.baseURL };
  }
}

@Controller('billing')
class BillingController {
  constructor(
    @InjectGoToHttp('billing') private readonly goto: HttpService,
    @InjectGoToAuth('billing') private readonly auth: GoToAuth,
  ) {}

  @Get()
  async me() {
    const { data, config } = await firstValueFrom(this.goto.get<Me>('/admin/rest/v1/me'));
    const sent = config.headers.get('Authorization');
    return {
      organizerKey: data.organizerKey,
      own: sent === `Bearer ${this.auth.cachedToken()?.accessToken}`,
    };
  }
}

describe('goToHttp', () => {
  it('provides an HttpService with baseURL = auth.baseUrl that carries the token and recovers', async () => {
    const emu = await emulator();
    const app = await createApp({
      // minGrantInterval 0: the floor between grants after a rejection would only slow this down.
      imports: [
        GoToAuthModule.forRoot({ ...gotoOptions(emu, { minGrantInterval: 0 }), http: goToHttp() }),
      ],
      controllers: [MeController],
    });
    const url = await listen(app);

    expect(await getJson(`${url}/me`)).toEqual({
      status: 200,
      body: { organizerKey: EMULATOR_DEFAULTS.organizerKey, baseURL: emu.url },
    });
    // Another client mints a token: GoTo revokes ours; the interceptor gets a new one, once.
    emu.reset();
    emu.mintToken();
    expect((await getJson(`${url}/me`)).status).toBe(200);
    expect(emu.counters.meRejected).toBe(1);
    expect(emu.counters.meCalls).toBe(2);
    expect(emu.counters.passwordGrants + emu.counters.refreshGrants).toBe(1);
  });

  it('gives each named instance its own HttpService, from forRoot and forRootAsync', async () => {
    const emu = await emulator();
    const billingEmu = await emulator();
    const app = await createApp({
      imports: [
        GoToAuthModule.forRoot({ ...gotoOptions(emu), http: goToHttp() }),
        GoToAuthModule.forRootAsync({
          name: 'billing',
          http: goToHttp({ axios: { timeout: 5000 } }),
          useFactory: () => gotoOptions(billingEmu),
        }),
      ],
      controllers: [MeController, BillingController],
    });
    const url = await listen(app);

    expect((await getJson(`${url}/me`)).status).toBe(200);
    expect(await getJson(`${url}/billing`)).toEqual({
      status: 200,
      body: { organizerKey: EMULATOR_DEFAULTS.organizerKey, own: true },
    });
    expect(emu.counters.meCalls).toBe(1);
    expect(billingEmu.counters.meCalls).toBe(1);
    expect(app.get<HttpService>(getGoToHttpToken('billing')).axiosRef.defaults.timeout).toBe(5000);
    expect(app.get<HttpService>(GOTO_HTTP)).not.toBe(app.get(getGoToHttpToken('billing')));
  });

  it('is visible to other modules when the registration is global', async () => {
    const emu = await emulator();
    @Module({ controllers: [MeController] })
    class FeatureModule {}
    const app = await createApp({
      imports: [
        GoToAuthModule.forRoot({ ...gotoOptions(emu), isGlobal: true, http: goToHttp() }),
        FeatureModule,
      ],
    });
    const url = await listen(app);

    expect((await getJson(`${url}/me`)).status).toBe(200);
  });

  it('sends the token to the origins given, and injects with InjectGoToHttp at run time', async () => {
    const emu = await emulator();
    const partnerEmu = await emulator();
    const partner = await recorder((_req, res) => json(res, 200, { ok: true }));
    @Injectable()
    class Client {
      constructor(
        @InjectGoToHttp() readonly goto: HttpService,
        @InjectGoToHttp('partner') readonly partner: HttpService,
      ) {}
    }
    const app = await createApp({
      imports: [
        GoToAuthModule.forRoot({ ...gotoOptions(emu), http: goToHttp() }),
        GoToAuthModule.forRoot({
          ...gotoOptions(partnerEmu),
          name: 'partner',
          http: goToHttp({ origins: [partner.url], axios: { baseURL: partner.url } }),
        }),
      ],
      providers: [Client],
    });
    await app.init();
    const client = app.get(Client);

    await firstValueFrom(client.partner.get('/x'));
    await firstValueFrom(client.partner.get(`${emu.url}/admin/rest/v1/me`)).catch(() => undefined);
    expect((await firstValueFrom(client.goto.get('/admin/rest/v1/me'))).status).toBe(200);

    const token = app.get<GoToAuth>(getGoToAuthToken('partner')).cachedToken()?.accessToken;
    expect(partner.received.map((r) => r.authorization)).toEqual([`Bearer ${token}`]);
    // The emulator is not among the partner instance's origins: it got no token from it.
    expect(emu.counters.meRejected).toBe(1);
  });

  it('provides no HttpService without the http option', async () => {
    const emu = await emulator();
    const app = await createApp({ imports: [GoToAuthModule.forRoot(gotoOptions(emu))] });
    await app.init();

    expect(() => app.get(GOTO_HTTP)).toThrow();
    expect(app.get(getGoToAuthToken())).toBeDefined();
  });

  it('keeps @nestjs/axios and axios out of the main entry', () => {
    // Everything the main entry imports, transitively within src/.
    const seen = new Set<string>();
    const imports: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(new URL(`../src/${file}`, import.meta.url), 'utf8');
      for (const [, from] of text.matchAll(/from '([^']+)'/g)) {
        if (from?.startsWith('./')) visit(from.slice(2).replace(/\.js$/, '.ts'));
        else if (from !== undefined) imports.push(from);
      }
    };
    visit('index.ts');

    expect(seen.has('http.ts')).toBe(false);
    expect(imports.filter((name) => /axios/.test(name))).toEqual([]);
  });
});
