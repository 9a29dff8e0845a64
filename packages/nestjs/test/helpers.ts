import { get } from 'node:http';
import { EMULATOR_DEFAULTS, type GoToEmulator } from '@goto-auth/emulator';
import { onCleanup } from '@goto-auth/test-support';
import type { INestApplication, LoggerService, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { GoToAuthModuleOptions } from '../src/index.js';

export { emulator, me } from '@goto-auth/test-support';

/** Module options for the emulator's default credential, with quick retries. */
export function gotoOptions(
  emu: GoToEmulator,
  options: Partial<GoToAuthModuleOptions> = {},
): GoToAuthModuleOptions {
  return {
    clientId: EMULATOR_DEFAULTS.clientId,
    clientSecret: EMULATOR_DEFAULTS.clientSecret,
    userId: EMULATOR_DEFAULTS.userId,
    password: EMULATOR_DEFAULTS.password,
    baseUrl: emu.url,
    retry: { baseDelay: 10, maxDelay: 100 },
    ...options,
  };
}

/** Collects what Nest's `Logger` writes. */
export class CapturingLogger implements LoggerService {
  readonly lines: Array<{ level: string; message: string; context: string | undefined }> = [];
  log(message: unknown, context?: string): void {
    this.#push('log', message, context);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.#push('error', message, rest.at(-1) as string | undefined);
  }
  warn(message: unknown, context?: string): void {
    this.#push('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.#push('debug', message, context);
  }
  #push(level: string, message: unknown, context: string | undefined): void {
    this.lines.push({ level, message: String(message), context });
  }
  text(): string {
    return this.lines.map((line) => `${line.level} [${line.context}] ${line.message}`).join('\n');
  }
}

/** Compiles a testing module into an app (not yet initialized) that is closed after the test. */
export async function createApp(
  metadata: ModuleMetadata,
  logger: LoggerService = new CapturingLogger(),
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule(metadata).setLogger(logger).compile();
  const app = moduleRef.createNestApplication({ logger });
  onCleanup(() => app.close());
  return app;
}

/** Initializes the app and listens on a free loopback port; returns its base URL. */
export async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return app.getUrl();
}

/**
 * GETs a JSON route over a connection of its own (`Connection: close`), so no idle keep-alive
 * socket holds up `app.close()`.
 */
export function getJson(url: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => {
        resolve({
          status: response.statusCode ?? 0,
          body: text === '' ? undefined : JSON.parse(text),
        });
      });
      response.on('error', reject);
    }).on('error', reject);
  });
}
