import { EMULATOR_DEFAULTS, type GoToEmulator, startEmulator } from '@goto-auth/emulator';
import type { GoToAuthModuleOptions } from '@goto-auth/nestjs';
import {
  type DynamicModule,
  Logger,
  Module,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { EMULATOR_TOKEN_TTL_SECONDS, type SampleConfig } from './config.js';

/** Injection token of the {@link SampleConfig}. */
export const SAMPLE_CONFIG = 'SAMPLE_CONFIG';

/**
 * Where the app gets its tokens: real GoTo, or an emulator it runs itself (and closes on
 * shutdown). Feeds `GoToAuthModule.forRootAsync`.
 */
export class GoToBackend implements OnApplicationShutdown {
  constructor(
    readonly config: SampleConfig,
    /** Set in emulator mode only. */
    readonly emulator: GoToEmulator | undefined,
  ) {}

  get mode(): SampleConfig['mode'] {
    return this.config.mode;
  }

  /** The options of `GoToAuthModule`, built from the environment or the emulator. */
  authOptions(): GoToAuthModuleOptions {
    const { config, emulator } = this;
    if (config.mode === 'goto') {
      return {
        clientId: config.clientId,
        clientSecret: config.clientSecret,
        userId: config.userId,
        password: config.password,
        baseUrl: config.baseUrl,
      };
    }
    if (emulator === undefined) throw new Error('The embedded emulator is not running.');
    return {
      clientId: EMULATOR_DEFAULTS.clientId,
      clientSecret: EMULATOR_DEFAULTS.clientSecret,
      userId: EMULATOR_DEFAULTS.userId,
      password: EMULATOR_DEFAULTS.password,
      baseUrl: emulator.url,
      // The demo buttons revoke tokens on purpose: recover after 1 s rather than core's 5 s
      // guard against revocation loops, so the page shows the recovery at once.
      minGrantInterval: 1_000,
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.emulator?.close();
  }
}

/** Provides {@link SAMPLE_CONFIG} and {@link GoToBackend}, starting the emulator when needed. */
@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: Nest's dynamic modules are classes with a static factory.
export class BackendModule {
  static register(config: SampleConfig): DynamicModule {
    const providers: Provider[] = [
      { provide: SAMPLE_CONFIG, useValue: config },
      {
        provide: GoToBackend,
        useFactory: async () => {
          if (config.mode === 'goto') return new GoToBackend(config, undefined);
          const emulator = await startEmulator({
            port: 0,
            accessTokenTtlSeconds: EMULATOR_TOKEN_TTL_SECONDS,
          });
          new Logger('Sample').log(
            `No GOTO_* credentials set: using the embedded GoTo emulator at ${emulator.url} (tokens live ${EMULATOR_TOKEN_TTL_SECONDS} s)`,
          );
          return new GoToBackend(config, emulator);
        },
      },
    ];
    return {
      module: BackendModule,
      global: true,
      providers,
      exports: [SAMPLE_CONFIG, GoToBackend],
    };
  }
}
