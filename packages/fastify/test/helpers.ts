import type { GoToAuth, GoToAuthOptions } from '@goto-auth/core';
import type { GoToEmulator } from '@goto-auth/emulator';
import { onCleanup, auth as testAuth } from '@goto-auth/test-support';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';

export { emulator, onCleanup, until } from '@goto-auth/test-support';

export function auth(emu: GoToEmulator, options: Partial<GoToAuthOptions> = {}): GoToAuth {
  // One attempt per getToken(), so a single injected fault decides the answer.
  return testAuth(emu, { retry: false, ...options });
}

/** A Fastify app closed after the test; `logs` collects what it logs at error level. */
export function app(options: { logs?: string[] } = {}): FastifyInstance {
  const logs = options.logs;
  const instance = Fastify(
    logs === undefined ? {} : { loggerInstance: capture(logs) as unknown as FastifyBaseLogger },
  );
  onCleanup(() => instance.close());
  return instance;
}

/** Listens on a free loopback port; returns the base URL. */
export async function listen(instance: FastifyInstance): Promise<string> {
  return instance.listen({ port: 0, host: '127.0.0.1' });
}

function capture(logs: string[]) {
  const logger = {
    level: 'info',
    error: (first: unknown, second?: unknown) => {
      logs.push(typeof first === 'string' ? first : String(second));
    },
    fatal: () => {},
    warn: () => {},
    info: () => {},
    debug: () => {},
    trace: () => {},
    silent: () => {},
    child: () => logger,
  };
  return logger;
}
