/**
 * What every package's tests need: the emulator and auth objects that are closed after each
 * test, a clock that moves only when told, and waits that poll on I/O turns instead of timers.
 */
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createGoToAuth,
  type GoToAuth,
  type GoToAuthOptions,
  type TimerProvider,
} from '@goto-auth/core';
import {
  EMULATOR_DEFAULTS,
  type EmulatorOptions,
  type GoToEmulator,
  startEmulator,
} from '@goto-auth/emulator';
import { afterEach, vi } from 'vitest';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  // Every cleanup runs, even after one fails; the first failure is reported.
  const errors: unknown[] = [];
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()?.();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw errors[0];
});

/** Registers work to run after the current test, last registered first. */
export function onCleanup(cleanup: () => Promise<unknown> | unknown): void {
  cleanups.push(cleanup);
}

/** Starts an emulator on a free loopback port, closed after the test. */
export async function emulator(options: EmulatorOptions = {}): Promise<GoToEmulator> {
  const emu = await startEmulator(options);
  onCleanup(() => emu.close());
  return emu;
}

/** An auth object for the emulator's default credential, closed after the test. */
export function auth(emu: GoToEmulator, options: Partial<GoToAuthOptions> = {}): GoToAuth {
  const instance = createGoToAuth({
    clientId: EMULATOR_DEFAULTS.clientId,
    clientSecret: EMULATOR_DEFAULTS.clientSecret,
    userId: EMULATOR_DEFAULTS.userId,
    password: EMULATOR_DEFAULTS.password,
    baseUrl: emu.url,
    logger: false,
    ...options,
  });
  onCleanup(() => instance.close());
  return instance;
}

/**
 * {@link auth} without the floor between grants after a rejection (5 s by default), for tests
 * that have GoTo reject tokens on purpose and would only wait for it.
 */
export function authNoFloor(emu: GoToEmulator, options: Partial<GoToAuthOptions> = {}): GoToAuth {
  return auth(emu, { minGrantInterval: 0, ...options });
}

/**
 * Sets `GOTO_CLIENT_ID`, `GOTO_USER_ID`, `GOTO_PASSWORD` and `GOTO_BASE_URL` to the emulator's
 * default credential for the current test, as a README's usage reads them.
 */
export function stubGoToEnv(emu: GoToEmulator): void {
  vi.stubEnv('GOTO_CLIENT_ID', EMULATOR_DEFAULTS.clientId);
  vi.stubEnv('GOTO_USER_ID', EMULATOR_DEFAULTS.userId);
  vi.stubEnv('GOTO_PASSWORD', EMULATOR_DEFAULTS.password);
  vi.stubEnv('GOTO_BASE_URL', emu.url);
  onCleanup(() => vi.unstubAllEnvs());
}

/** Timers that never fire: the refresh timer of a suspended laptop, or a test that moves time itself. */
export const NO_TIMERS: TimerProvider = { setTimeout: () => 0, clearTimeout: () => {} };

/** The error `promise` rejects with; fails when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

/** Calls the emulator's `GET /admin/rest/v1/me` with a token; returns the HTTP status. */
export async function me(emu: GoToEmulator, accessToken: string): Promise<number> {
  const response = await fetch(`${emu.url}/admin/rest/v1/me`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  await response.arrayBuffer();
  return response.status;
}

/** Serves a request listener (an Express app, say) on a free loopback port, until the test ends. */
export async function serve(listener: RequestListener): Promise<string> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** What {@link recorder} saw of one request. */
export interface Recorded {
  method: string | undefined;
  path: string | undefined;
  authorization: string | undefined;
  body: string;
}

/**
 * A loopback server that records every request (method, path, `Authorization`, body as text)
 * before `handler` answers it; `received` holds the requests so far, this one last.
 */
export async function recorder(
  handler: (req: IncomingMessage, res: ServerResponse, body: string, received: Recorded[]) => void,
): Promise<{ url: string; received: Recorded[] }> {
  const received: Recorded[] = [];
  const url = await serve((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({
        method: req.method,
        path: req.url,
        authorization: req.headers.authorization,
        body,
      });
      handler(req, res, body, received);
    });
  });
  return { url, received };
}

/** Answers `body` as JSON with `status`. */
export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** Grants the emulator made (password and refresh). */
export function grants(emu: GoToEmulator): number {
  return emu.counters.passwordGrants + emu.counters.refreshGrants;
}

/** Lets pending promise callbacks and I/O run. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Resolves once `condition` holds, polling on I/O turns (no timers). */
export async function until(condition: () => boolean, turns = 5000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('condition not met');
}

/** A clock and timers that move only when a test says so; share `now` with the emulator. */
export class ManualClock implements TimerProvider {
  #now: number;
  #timers = new Map<number, { at: number; callback: () => void }>();
  #next = 1;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now = (): number => this.#now;

  setTimeout(callback: () => void, ms: number): number {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward, firing due timers in order (without waiting for their work). */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let due: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.#timers) {
        if (entry[1].at <= target && (due === undefined || entry[1].at < due[1].at)) due = entry;
      }
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.#now = Math.max(this.#now, due[1].at);
      due[1].callback();
    }
    this.#now = target;
  }
}
