import { createServer } from 'node:net';
import { ConfigError, loadConfig, type SampleConfig } from './config.js';

/** Past this, a stuck shutdown is cut short (the promise is 2 s from signal to exit). */
const SHUTDOWN_DEADLINE_MS = 1_500;

async function main(): Promise<void> {
  let config: SampleConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`Configuration error: ${error.message}`);
    process.exitCode = 1;
    return;
  }

  if (config.port === 0) {
    // "Sign in with GoTo" names this app's address in its redirect URI, so a free port is
    // picked now, before the app is built, rather than by listen().
    config = { ...config, port: await freePort(config.host) };
  }

  // Loaded after the configuration is known good, so a bad setting is reported at once.
  await import('reflect-metadata');
  const [{ Logger }, { createApp }] = await Promise.all([
    import('@nestjs/common'),
    import('./app.js'),
  ]);
  const logger = new Logger('Sample');
  // Nest's own listeners (enableShutdownHooks) close the app and exit 0. These stay for the
  // process's whole life: Nest removes its listeners when the shutdown starts, and a second
  // signal (Ctrl-C reaches `pnpm start` and the app; systemd signals the whole group) would
  // otherwise kill the process by default action, with a non-zero status.
  let stopping = false;
  let created = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      // Still building the app (Nest's listeners are not there yet): nothing to close but this
      // process, which takes the in-process emulator with it.
      if (!created) process.exit(0);
      logger.log(`${signal} received: shutting down`);
      setTimeout(() => {
        logger.error(`Shutdown took longer than ${SHUTDOWN_DEADLINE_MS} ms: exiting now`);
        process.exit(1);
      }, SHUTDOWN_DEADLINE_MS).unref();
    });
  }

  const app = await createApp(config);
  created = true;
  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  logger.log(`Listening on http://${host}:${port}`);
}

/** A port free on `host` right now. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

main().catch((error: unknown) => {
  // Nest has logged DI errors already; this names the rest (EADDRINUSE...). Core's and Nest's
  // messages carry no secret.
  console.error(
    `The sample failed to start: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
