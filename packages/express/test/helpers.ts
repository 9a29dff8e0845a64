import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGoToAuth, type GoToAuth, type GoToAuthOptions } from '@goto-auth/core';
import {
  EMULATOR_DEFAULTS,
  type EmulatorOptions,
  type GoToEmulator,
  startEmulator,
} from '@goto-auth/emulator';
import { afterEach } from 'vitest';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

export async function emulator(options: EmulatorOptions = {}): Promise<GoToEmulator> {
  const emu = await startEmulator(options);
  cleanups.push(() => emu.close());
  return emu;
}

export function auth(emu: GoToEmulator, options: Partial<GoToAuthOptions> = {}): GoToAuth {
  const instance = createGoToAuth({
    clientId: EMULATOR_DEFAULTS.clientId,
    clientSecret: EMULATOR_DEFAULTS.clientSecret,
    userId: EMULATOR_DEFAULTS.userId,
    password: EMULATOR_DEFAULTS.password,
    baseUrl: emu.url,
    logger: false,
    // One attempt per getToken(), so a single injected fault decides the answer.
    retry: false,
    ...options,
  });
  cleanups.push(() => instance.close());
  return instance;
}

/** Serves an Express app (4 or 5) on 127.0.0.1 and a free port; returns its base URL. */
export async function serve(app: RequestListener): Promise<string> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Registers cleanup work for the end of the current test. */
export function onCleanup(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}

/** Resolves once `condition` holds, polling on I/O turns (no timers). */
export async function until(condition: () => boolean, turns = 5000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('condition not met');
}
