import { inspect } from 'node:util';
import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import { Controller, type DynamicModule, Get, Inject, Injectable, Module } from '@nestjs/common';
import { describe, expect, it, vi } from 'vitest';
import {
  GOTO_AUTH,
  type GoToAuth,
  GoToAuthModule,
  type GoToAuthModuleOptions,
  type GoToAuthOptionsFactory,
  GoToAuthService,
  getGoToAuthToken,
  InjectGoToAuth,
  InjectGoToAuthService,
  isGoToAuthError,
} from '../src/index.js';
import {
  CapturingLogger,
  createApp,
  emulator,
  getJson,
  gotoOptions,
  listen,
  me,
} from './helpers.js';

// Plain constructor injection, no @Inject: proves the test transform emits decorator metadata.
@Controller('token')
class TokenController {
  constructor(private readonly goto: GoToAuthService) {}

  @Get()
  async token() {
    const { organizerKey, tokenType, expiresAt } = await this.goto.getToken();
    return { organizerKey, tokenType, expiresAt };
  }
}

@Controller('core')
class CoreController {
  constructor(@InjectGoToAuth() private readonly auth: GoToAuth) {}

  @Get()
  async token() {
    return { organizerKey: (await this.auth.getToken()).organizerKey };
  }
}

describe('GoToAuthModule.forRoot', () => {
  it('injects GoToAuthService and the core object into controllers served over HTTP', async () => {
    const emu = await emulator();
    const app = await createApp({
      imports: [GoToAuthModule.forRoot(gotoOptions(emu))],
      controllers: [TokenController, CoreController],
    });
    const url = await listen(app);

    const { status, body } = await getJson(`${url}/token`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      organizerKey: EMULATOR_DEFAULTS.organizerKey,
      tokenType: 'Bearer',
    });
    expect(await getJson(`${url}/core`)).toMatchObject({
      body: { organizerKey: EMULATOR_DEFAULTS.organizerKey },
    });

    const service = app.get(GoToAuthService);
    expect(app.get(GOTO_AUTH)).toBe(service.auth);
    expect(await me(emu, (await service.getToken()).accessToken)).toBe(200);
    // Warm-up, two routes and a direct call share one grant.
    expect(emu.counters.passwordGrants).toBe(1);
  });

  it('keeps secrets out of inspect output', async () => {
    const emu = await emulator();
    const app = await createApp({ imports: [GoToAuthModule.forRoot(gotoOptions(emu))] });
    await app.init();
    const service = app.get(GoToAuthService);
    const { accessToken } = await service.getToken();
    const text = inspect(service, { depth: 5 });
    expect(text).toContain(EMULATOR_DEFAULTS.clientId);
    for (const secret of [
      EMULATOR_DEFAULTS.password,
      EMULATOR_DEFAULTS.clientSecret,
      accessToken,
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('rejects an empty name when the module is defined', () => {
    const options = { clientId: 'c', userId: 'u', password: 'p', name: '' };
    expect(() => GoToAuthModule.forRoot(options)).toThrow(/"name" must be a non-empty string/);
    expect(() => getGoToAuthToken('')).toThrow(/"name"/);
  });
});

/** A stand-in for @nestjs/config's ConfigService. */
class AppConfig {
  constructor(private readonly values: Record<string, string>) {}
  get(key: string): string {
    const value = this.values[key];
    if (value === undefined) throw new Error(`missing ${key}`);
    return value;
  }
}

@Module({})
class ConfigModule {
  static register(values: Record<string, string>): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: AppConfig, useValue: new AppConfig(values) }],
      exports: [AppConfig],
    };
  }
}

describe('GoToAuthModule.forRootAsync', () => {
  it('builds the options with a factory that reads a provider of an imported module', async () => {
    const emu = await emulator({
      users: [
        { userId: 'async@example.com', password: 'async-pw', organizerKey: '1000000000000000001' },
      ],
    });
    const config = { GOTO_URL: emu.url, GOTO_USER: 'async@example.com', GOTO_PASSWORD: 'async-pw' };
    const app = await createApp({
      imports: [
        GoToAuthModule.forRootAsync({
          imports: [ConfigModule.register(config)],
          inject: [AppConfig],
          useFactory: (env: AppConfig): GoToAuthModuleOptions => ({
            clientId: EMULATOR_DEFAULTS.clientId,
            userId: env.get('GOTO_USER'),
            password: env.get('GOTO_PASSWORD'),
            baseUrl: env.get('GOTO_URL'),
            warmUp: false,
          }),
        }),
      ],
      controllers: [TokenController],
    });
    const url = await listen(app);
    // The factory's warmUp: false is honoured.
    expect(emu.counters.passwordGrants).toBe(0);

    expect(await getJson(`${url}/token`)).toMatchObject({
      status: 200,
      body: { organizerKey: '1000000000000000001' },
    });
    expect(emu.requests.filter((r) => r.grantType === 'password').map((r) => r.userId)).toEqual([
      'async@example.com',
    ]);
  });

  it('accepts an options factory class', async () => {
    const emu = await emulator();
    @Injectable()
    class Options implements GoToAuthOptionsFactory {
      createGoToAuthOptions() {
        return gotoOptions(emu);
      }
    }
    const app = await createApp({
      imports: [GoToAuthModule.forRootAsync({ useClass: Options })],
      controllers: [TokenController],
    });
    const url = await listen(app);
    expect(await getJson(`${url}/token`)).toMatchObject({ status: 200 });
    expect(emu.counters.passwordGrants).toBe(1);
  });
});

describe('named instances', () => {
  const sales = {
    userId: 'sales@example.com',
    password: 'sales-pw',
    organizerKey: '2000000000000000002',
  };
  const billing = {
    userId: 'billing@example.com',
    password: 'billing-pw',
    organizerKey: '3000000000000000003',
  };

  @Controller('sales')
  class SalesController {
    constructor(private readonly goto: GoToAuthService) {}
    @Get()
    async get() {
      const token = await this.goto.getToken();
      return { organizerKey: token.organizerKey, name: this.goto.name ?? null };
    }
  }

  @Controller('billing')
  class BillingController {
    constructor(
      @InjectGoToAuthService('billing') private readonly goto: GoToAuthService,
      @InjectGoToAuth('billing') private readonly auth: GoToAuth,
    ) {}
    @Get()
    async get() {
      const token = await this.goto.getToken();
      return {
        organizerKey: token.organizerKey,
        name: this.goto.name,
        same: this.auth === this.goto.auth,
      };
    }
  }

  // A feature module that does not import GoToAuthModule: it relies on `isGlobal`.
  @Module({ controllers: [BillingController] })
  class BillingModule {}

  it('two credentials side by side, each controller with its own token', async () => {
    const emu = await emulator({
      users: [sales, billing],
      clients: [
        { clientId: 'sales-client', clientSecret: 'sales-secret' },
        { clientId: 'billing-client', clientSecret: 'billing-secret' },
      ],
    });
    const app = await createApp({
      imports: [
        GoToAuthModule.forRoot({
          ...gotoOptions(emu),
          clientId: 'sales-client',
          clientSecret: 'sales-secret',
          userId: sales.userId,
          password: sales.password,
        }),
        GoToAuthModule.forRootAsync({
          name: 'billing',
          isGlobal: true,
          useFactory: () => ({
            ...gotoOptions(emu),
            clientId: 'billing-client',
            clientSecret: 'billing-secret',
            userId: billing.userId,
            password: billing.password,
          }),
        }),
        BillingModule,
      ],
      controllers: [SalesController],
    });
    const url = await listen(app);

    expect(await getJson(`${url}/sales`)).toEqual({
      status: 200,
      body: { organizerKey: sales.organizerKey, name: null },
    });
    expect(await getJson(`${url}/billing`)).toEqual({
      status: 200,
      body: { organizerKey: billing.organizerKey, name: 'billing', same: true },
    });

    const grants = emu.requests
      .filter((r) => r.grantType === 'password')
      .map((r) => `${r.clientId}/${r.userId}`)
      .sort();
    expect(grants).toEqual([
      'billing-client/billing@example.com',
      'sales-client/sales@example.com',
    ]);

    const salesToken = await app.get(GoToAuthService).getToken();
    const billingToken = await app.get<GoToAuth>(getGoToAuthToken('billing')).getToken();
    expect(salesToken.accessToken).not.toBe(billingToken.accessToken);
    expect(await me(emu, salesToken.accessToken)).toBe(200);
    expect(await me(emu, billingToken.accessToken)).toBe(200);
  });
});

@Controller('health')
class HealthController {
  constructor(@InjectGoToAuthService('ops') private readonly goto: GoToAuthService) {}

  @Get()
  health() {
    const { state, lastError } = this.goto.status();
    return { state, lastError: lastError?.code };
  }
}

describe('warm-up', () => {
  it('gets the token during app.init(), before any request', async () => {
    const emu = await emulator();
    const app = await createApp({
      imports: [GoToAuthModule.forRoot(gotoOptions(emu))],
      controllers: [TokenController],
    });
    expect(emu.counters.passwordGrants).toBe(0);
    await app.init();
    expect(emu.counters.passwordGrants).toBe(1);
    expect(app.get(GoToAuthService).status().state).toBe('valid');

    const url = await listen(app);
    expect((await getJson(`${url}/token`)).status).toBe(200);
    expect(emu.counters.passwordGrants).toBe(1);
  });

  it('can be switched off: no grant until first use', async () => {
    const emu = await emulator();
    const app = await createApp({
      imports: [GoToAuthModule.forRoot(gotoOptions(emu, { warmUp: false }))],
      controllers: [TokenController],
    });
    const url = await listen(app);
    expect(emu.counters.requests).toBe(0);
    expect(app.get(GoToAuthService).status().state).toBe('empty');

    expect((await getJson(`${url}/token`)).status).toBe(200);
    expect(emu.counters.passwordGrants).toBe(1);
  });

  it('a failed warm-up logs a line without secrets and the app still starts', async () => {
    const emu = await emulator();
    const logger = new CapturingLogger();
    const wrong = 'wrong-password-4711';
    const app = await createApp(
      {
        imports: [
          GoToAuthModule.forRoot({ ...gotoOptions(emu, { password: wrong }), name: 'ops' }),
        ],
        controllers: [HealthController],
      },
      logger,
    );
    const url = await listen(app);
    expect(await getJson(`${url}/health`)).toEqual({
      status: 200,
      body: { state: 'empty', lastError: 'INVALID_CREDENTIALS' },
    });

    const warmUp = logger.lines.find((line) => line.message.startsWith('Warm-up failed'));
    expect(warmUp).toMatchObject({ level: 'error', context: 'GoToAuth:ops' });
    expect(warmUp?.message).toContain('INVALID_CREDENTIALS');
    // Core's own line goes through Nest's logger too.
    expect(logger.text()).toMatch(/\[GoToAuth:ops\] \[goto-auth\] INVALID_CREDENTIALS/);
    expect(logger.text()).not.toContain(wrong);
    expect(logger.text()).not.toContain(EMULATOR_DEFAULTS.clientSecret);
  });

  it('with failOnWarmUpError, app.init() rejects with the GoToAuthError', async () => {
    const emu = await emulator();
    const logger = new CapturingLogger();
    const app = await createApp(
      {
        imports: [
          GoToAuthModule.forRoot(
            gotoOptions(emu, { password: 'wrong-password', failOnWarmUpError: true }),
          ),
        ],
      },
      logger,
    );
    const error = await app.init().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isGoToAuthError(error) && error.code).toBe('INVALID_CREDENTIALS');
    expect(logger.text()).toMatch(/Warm-up failed with INVALID_CREDENTIALS; failOnWarmUpError/);
  });

  it('a transient failure is retried within the warm-up', async () => {
    const emu = await emulator();
    emu.fault({ type: 'status', status: 503 }, { times: 2 });
    const app = await createApp({
      imports: [GoToAuthModule.forRoot(gotoOptions(emu, { failOnWarmUpError: true }))],
    });
    await app.init();
    expect(emu.counters.faults).toBe(2);
    expect(emu.counters.passwordGrants).toBe(1);
  });
});

describe('lifecycle', () => {
  it('app.close() closes the core object: later calls fail with CLOSED', async () => {
    const emu = await emulator();
    const app = await createApp({ imports: [GoToAuthModule.forRoot(gotoOptions(emu))] });
    await listen(app);
    const service = app.get(GoToAuthService);
    expect(service.status().refreshAt).toBeTypeOf('number');

    await app.close();
    expect(service.auth.closed).toBe(true);
    expect(service.status().state).toBe('closed');
    await expect(service.getToken()).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('a request in flight when app.close() starts still gets its token', async () => {
    const emu = await emulator();
    emu.fault({ type: 'latency', ms: 300 });
    let entered: () => void = () => {};
    const inHandler = new Promise<void>((resolve) => {
      entered = resolve;
    });
    @Controller('slow')
    class SlowController {
      constructor(private readonly goto: GoToAuthService) {}
      @Get()
      async get() {
        entered();
        return { organizerKey: (await this.goto.getToken()).organizerKey };
      }
    }
    const app = await createApp({
      imports: [GoToAuthModule.forRoot(gotoOptions(emu, { warmUp: false }))],
      controllers: [SlowController],
    });
    const url = await listen(app);
    const service = app.get(GoToAuthService);

    const pending = getJson(`${url}/slow`);
    await inHandler;
    // The grant is still held up by the latency fault: Nest drains the HTTP server first,
    // and only then does the shutdown hook close the core object.
    const closing = app.close();
    expect(await pending).toEqual({
      status: 200,
      body: { organizerKey: EMULATOR_DEFAULTS.organizerKey },
    });
    await closing;
    expect(service.auth.closed).toBe(true);
  });

  it('invalidate() drops the current token and the next getToken() gets a new one', async () => {
    const emu = await emulator();
    const app = await createApp({
      imports: [GoToAuthModule.forRoot(gotoOptions(emu, { minGrantInterval: 0 }))],
    });
    await app.init();
    const service = app.get(GoToAuthService);
    const first = await service.getToken();
    expect(service.invalidate('not-the-current-token')).toBe(false);
    expect(service.invalidate(first.accessToken)).toBe(true);
    const second = await service.getToken();
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(await me(emu, second.accessToken)).toBe(200);
  });
});

// The exported token works with a plain @Inject, as in code that builds its own decorators.
@Injectable()
class ExplicitConsumer {
  constructor(@Inject(GOTO_AUTH) readonly auth: GoToAuth) {}
}

describe('explicit tokens', () => {
  it('GOTO_AUTH with @Inject resolves the same core object', async () => {
    const emu = await emulator();
    const app = await createApp({
      imports: [GoToAuthModule.forRoot(gotoOptions(emu, { warmUp: false }))],
      providers: [ExplicitConsumer],
    });
    await app.init();
    expect(app.get(ExplicitConsumer).auth).toBe(app.get(GoToAuthService).auth);
  });
});

describe('options, injection and logs', () => {
  it('is not global unless asked: a module that does not import it cannot inject it', async () => {
    const emu = await emulator();
    // Imported afresh: the module's defaults are built when its file loads.
    vi.resetModules();
    const fresh = await import('../src/index.js');
    const consumer = () => {
      @Injectable()
      class Consumer {
        constructor(@Inject(fresh.GoToAuthService) readonly goto: unknown) {}
      }
      @Module({ providers: [Consumer] })
      class FeatureModule {}
      return FeatureModule;
    };
    const options = gotoOptions(emu, { warmUp: false });

    await expect(
      createApp({ imports: [fresh.GoToAuthModule.forRoot(options), consumer()] }),
    ).rejects.toThrow(/can't resolve dependencies/);
    const app = await createApp({
      imports: [fresh.GoToAuthModule.forRoot({ ...options, isGlobal: true }), consumer()],
    });
    await app.init();
  });

  it('injects named instances with the decorators, applied when the class is defined', async () => {
    const emu = await emulator();
    @Injectable()
    class Consumer {
      constructor(
        @InjectGoToAuth('ops') readonly auth: GoToAuth,
        @InjectGoToAuthService('ops') readonly service: GoToAuthService,
        @InjectGoToAuth() readonly defaultAuth: GoToAuth,
        @InjectGoToAuthService() readonly defaultService: GoToAuthService,
      ) {}
    }
    const app = await createApp({
      imports: [
        GoToAuthModule.forRoot(gotoOptions(emu, { warmUp: false })),
        GoToAuthModule.forRoot({ ...gotoOptions(emu, { warmUp: false }), name: 'ops' }),
      ],
      providers: [Consumer],
    });
    await app.init();

    const consumer = app.get(Consumer);
    expect(consumer.service.name).toBe('ops');
    expect(consumer.auth).toBe(consumer.service.auth);
    expect(consumer.defaultService.name).toBeUndefined();
    expect(consumer.defaultAuth).toBe(consumer.defaultService.auth);
    expect(consumer.auth).not.toBe(consumer.defaultAuth);
  });

  it('refuses a name that is not a non-empty string', () => {
    for (const name of [42, '']) {
      expect(() =>
        GoToAuthModule.forRoot({ clientId: 'c', userId: 'u', password: 'p', name: name as never }),
      ).toThrow(
        expect.objectContaining({
          code: 'INVALID_OPTIONS',
          message: 'GoToAuthModule: "name" must be a non-empty string.',
        }),
      );
    }
  });

  it("routes core's warnings to Nest's logger under the instance's context", async () => {
    const emu = await emulator();
    emu.fault({ type: 'status', status: 503 });
    const logger = new CapturingLogger();
    const app = await createApp(
      { imports: [GoToAuthModule.forRoot(gotoOptions(emu, { retry: false }))] },
      logger,
    );
    await app.init();

    expect(logger.lines).toContainEqual({
      level: 'warn',
      context: 'GoToAuth',
      message: expect.stringMatching(/^\[goto-auth\] SERVER_ERROR: /),
    });
    expect(logger.lines).toContainEqual({
      level: 'error',
      context: 'GoToAuth',
      message: expect.stringMatching(/^Warm-up failed with SERVER_ERROR; the application starts/),
    });
  });

  it('names a warm-up failure that is not a GoToAuthError UNKNOWN', async () => {
    const emu = await emulator();
    const logger = new CapturingLogger();
    const app = await createApp({ imports: [GoToAuthModule.forRoot(gotoOptions(emu))] }, logger);
    const { auth } = app.get(GoToAuthService);
    Object.defineProperty(auth, 'getToken', {
      value: () => Promise.reject(new TypeError('token=secret-in-a-bug-message')),
    });

    await app.init();

    const warmUp = logger.lines.find((line) => line.message.startsWith('Warm-up failed'));
    expect(warmUp?.message).toMatch(/^Warm-up failed with UNKNOWN;/);
    expect(logger.text()).not.toContain('secret-in-a-bug-message');
  });
});
