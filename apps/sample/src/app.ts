import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { GoToAuthService } from '@goto-auth/nestjs';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import type { SampleConfig } from './config.js';
import { Telemetry } from './telemetry.js';
import { tokenRouter } from './token-router.js';

/** `public/` beside `src/` and `dist/`: the same path from the sources and the build. */
const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));

/** Builds the application (not listening yet). */
export async function createApp(config: SampleConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), {
    // Errors reach the caller instead of aborting the process with a core dump.
    abortOnError: false,
    // Keep-alive connections (the page polls) would otherwise hold the shutdown open.
    forceCloseConnections: true,
  });
  // Nest closes the app on these signals, then exits with code 0 (not re-raising the signal).
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  app.disable('x-powered-by');
  app.useStaticAssets(PUBLIC_DIR, { index: 'index.html', maxAge: 0 });
  app.use('/api', tokenRouter(app.get(GoToAuthService).auth));
  const telemetry = app.get(Telemetry);
  app.use('/api/metrics', (request: IncomingMessage, response: ServerResponse) =>
    telemetry.serve(request, response),
  );
  return app;
}
