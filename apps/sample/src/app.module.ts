import { GoToAuthModule, GoToOAuthModule } from '@goto-auth/nestjs';
import { goToHttp } from '@goto-auth/nestjs/http';
import { type DynamicModule, Module } from '@nestjs/common';
import { ApiController } from './api.controller.js';
import type { SampleConfig } from './config.js';
import { DemoModule } from './demo.js';
import { gotoApiProvider } from './goto-api.js';
import { BackendModule, GoToBackend } from './goto-backend.module.js';
import { HealthController } from './health.controller.js';
import { SignInController } from './sign-in.controller.js';
import { Telemetry } from './telemetry.js';
import { TokenEvents } from './token-events.js';
import { UserController } from './user.controller.js';
import { UserSessions } from './user-session.js';

@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: Nest's dynamic modules are classes with a static factory.
export class AppModule {
  static register(config: SampleConfig): DynamicModule {
    // One object, imported twice: Nest keeps a single instance (one emulator).
    const backend = BackendModule.register(config);
    // The authorization code grant needs the client secret; the emulator has one.
    const signIn = config.mode === 'emulator' || config.clientSecret !== undefined;
    return {
      module: AppModule,
      imports: [
        backend,
        GoToAuthModule.forRootAsync({
          // Global: the demo module's controller injects GoToAuthService too.
          isGlobal: true,
          // An HttpService (@nestjs/axios) that calls GoTo with the token: GET /api/me-http.
          http: goToHttp({ axios: { timeout: 5_000 } }),
          imports: [backend],
          inject: [GoToBackend],
          useFactory: (source: GoToBackend) => source.authOptions(),
        }),
        // "Sign in with GoTo": users' tokens, kept server-side (GoToOAuthService).
        ...(signIn
          ? [
              GoToOAuthModule.forRootAsync({
                imports: [backend],
                inject: [GoToBackend],
                useFactory: (source: GoToBackend) =>
                  source.oauthOptions() ?? Promise.reject(new Error('no OAuth client')),
              }),
            ]
          : []),
        ...(config.mode === 'emulator' ? [DemoModule] : []),
      ],
      controllers: [
        ApiController,
        HealthController,
        ...(signIn ? [SignInController, UserController] : []),
      ],
      providers: [
        gotoApiProvider,
        TokenEvents,
        Telemetry,
        {
          provide: UserSessions,
          useFactory: (source: GoToBackend) =>
            new UserSessions(config.sessionSecret, source.redirectUri.startsWith('https:')),
          inject: [GoToBackend],
        },
      ],
    };
  }
}
