import {
  EMULATOR_DEFAULT_USER,
  EMULATOR_DEFAULTS,
  type EmulatorUser,
  type GoToEmulator,
  startEmulator,
} from '@goto-auth/emulator';
import type { GoToAuthModuleOptions, GoToOAuthModuleOptions } from '@goto-auth/nestjs';
import {
  type DynamicModule,
  Logger,
  Module,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { EMULATOR_TOKEN_TTL_SECONDS, type SampleConfig } from './config.js';

/**
 * The embedded emulator's users: the service account the app's own token belongs to (Direct
 * Login), and two people who can "Sign in with GoTo" on its consent page.
 */
export const EMULATOR_USERS: EmulatorUser[] = [
  EMULATOR_DEFAULT_USER,
  { userId: 'ann@example.com', password: 'ann-password', firstName: 'Ann', lastName: 'Lee' },
  { userId: 'bob@example.com', password: 'bob-password', firstName: 'Bob', lastName: 'Kim' },
];

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

  /**
   * Where "Sign in with GoTo" sends users back: `GOTO_REDIRECT_URI`, else this app's own
   * `/auth/goto/callback`.
   */
  get redirectUri(): string {
    const { redirectUri, host, port } = this.config;
    if (redirectUri !== undefined) return redirectUri;
    const name = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    return `http://${name.includes(':') ? `[${name}]` : name}:${port}/auth/goto/callback`;
  }

  /**
   * The options of `GoToOAuthModule` ("Sign in with GoTo"), or `undefined` against GoTo without
   * a client secret (the authorization code grant needs one).
   */
  oauthOptions(): GoToOAuthModuleOptions | undefined {
    const { config, emulator } = this;
    if (config.mode === 'goto') {
      if (config.clientSecret === undefined) return undefined;
      return {
        clientId: config.clientId,
        clientSecret: config.clientSecret,
        redirectUri: this.redirectUri,
        baseUrl: config.baseUrl,
      };
    }
    if (emulator === undefined) throw new Error('The embedded emulator is not running.');
    return {
      clientId: EMULATOR_DEFAULTS.clientId,
      clientSecret: EMULATOR_DEFAULTS.clientSecret,
      redirectUri: this.redirectUri,
      baseUrl: emulator.url,
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
            users: EMULATOR_USERS,
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
