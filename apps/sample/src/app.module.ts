import { GoToAuthModule } from '@goto-auth/nestjs';
import { goToHttp } from '@goto-auth/nestjs/http';
import { type DynamicModule, Module } from '@nestjs/common';
import { ApiController } from './api.controller.js';
import type { SampleConfig } from './config.js';
import { DemoModule } from './demo.js';
import { gotoApiProvider } from './goto-api.js';
import { BackendModule, GoToBackend } from './goto-backend.module.js';
import { HealthController } from './health.controller.js';
import { Telemetry } from './telemetry.js';
import { TokenEvents } from './token-events.js';

@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: Nest's dynamic modules are classes with a static factory.
export class AppModule {
  static register(config: SampleConfig): DynamicModule {
    // One object, imported twice: Nest keeps a single instance (one emulator).
    const backend = BackendModule.register(config);
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
        ...(config.mode === 'emulator' ? [DemoModule] : []),
      ],
      controllers: [ApiController, HealthController],
      providers: [gotoApiProvider, TokenEvents, Telemetry],
    };
  }
}
