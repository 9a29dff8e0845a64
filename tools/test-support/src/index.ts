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
  type GetTokenOptions,
  type GoToAuth,
  GoToAuthError,
  type GoToAuthErrorCode,
  type GoToAuthOptions,
  type GoToToken,
  type TimerProvider,
} from '@goto-auth/core';
import {
  EMULATOR_DEFAULTS,
  type EmulatorFault,
  type EmulatorOptions,
  type GoToEmulator,
  startEmulator,
} from '@goto-auth/emulator';
import { afterEach, expect, vi } from 'vitest';

export * from './oauth.ts';
export * from './readme.ts';

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

/** A way GoTo fails, and how an adapter must answer a request that then has no token. */
export interface ProblemCase {
  name: string;
  /** The emulator fault that makes the grant fail, or none (then `password` is wrong). */
  fault: EmulatorFault | undefined;
  password?: string;
  status: number;
  code: GoToAuthErrorCode;
  /** The expected `Retry-After` header, or `null` for none. */
  retryAfter: string | null;
}

/** The failures every adapter answers with problem+json: one per status and cause. */
export const PROBLEM_CASES: readonly ProblemCase[] = [
  {
    name: 'GoTo drops the connection',
    fault: { type: 'drop' },
    status: 503,
    code: 'NETWORK_ERROR',
    retryAfter: '5',
  },
  {
    name: 'GoTo answers 503',
    fault: { type: 'status', status: 503 },
    status: 503,
    code: 'SERVER_ERROR',
    retryAfter: '5',
  },
  {
    name: 'GoTo rate limits',
    fault: { type: 'rate-limit', retryAfterSeconds: 7 },
    status: 503,
    code: 'RATE_LIMITED',
    retryAfter: '7',
  },
  {
    name: 'GoTo answers malformed JSON',
    fault: { type: 'malformed-json' },
    status: 502,
    code: 'INVALID_RESPONSE',
    retryAfter: null,
  },
  {
    name: 'GoTo answers an HTML page',
    fault: { type: 'html' },
    status: 502,
    code: 'INVALID_RESPONSE',
    retryAfter: null,
  },
  {
    name: 'the password is wrong',
    fault: undefined,
    password: 'not-the-password',
    status: 500,
    code: 'INVALID_CREDENTIALS',
    retryAfter: null,
  },
];

/** An HTTP answer as a test read it, whatever the client (fetch, an inject helper). */
export interface Answer {
  status: number;
  /** A header's value, or `null`/`undefined` when absent. */
  header(name: string): string | null | undefined;
  text: string;
}

/** Asserts that `answer` is the problem+json answer `expected` calls for, with no secret in it. */
export function expectProblem(answer: Answer, expected: ProblemCase): void {
  expect(answer.status).toBe(expected.status);
  expect(answer.header('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.header('retry-after') ?? null).toBe(expected.retryAfter);
  expect(answer.header('cache-control')).toBe('no-store');
  expect(JSON.parse(answer.text)).toEqual({
    type: `https://goto-auth.dev/problems/${expected.code.toLowerCase().replaceAll('_', '-')}`,
    title: expect.any(String),
    status: expected.status,
    detail: expect.any(String),
    code: expected.code,
  });
  const secrets = [EMULATOR_DEFAULTS.password, EMULATOR_DEFAULTS.clientSecret];
  for (const secret of [...secrets, expected.password ?? secrets[0]]) {
    expect(answer.text).not.toContain(secret);
  }
}

/** A fetch answer as an {@link Answer}. */
export async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  return { status: response.status, header: (name) => response.headers.get(name), text };
}

/**
 * A middleware whose credentials GoTo refuses (`password: 'not-the-password'`) answers three
 * calls of `get` (the status of `GET /me`) with 500 and logs one line: the code and the route,
 * without the password or the client secret. `lines` gives the adapter's log lines so far.
 */
export async function expectConfigErrorLoggedOnce(
  get: () => Promise<number>,
  lines: () => readonly string[],
): Promise<void> {
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push(await get());
  expect(statuses).toEqual([500, 500, 500]);
  expect(lines()).toHaveLength(1);
  const line = String(lines()[0]);
  expect(line).toContain('INVALID_CREDENTIALS');
  expect(line).toContain('GET /me');
  expect(line).not.toContain('not-the-password');
  expect(line).not.toContain(EMULATOR_DEFAULTS.clientSecret);
}

/** An adapter mounted for a logging check: how to call `GET /me`, and its log lines so far. */
export interface MountedAdapter {
  /** Calls `GET /me`; resolves the status. */
  get(): Promise<number>;
  /** The adapter's log lines so far. */
  lines(): readonly string[];
}

/**
 * The credentials fail, then a token serves (by the refresh timer, not through the adapter: a
 * {@link refusedUnlessServing} stub of `real`, given to `mount`), then they fail again: 500,
 * 200, 500, and the configuration error is logged again after the token served (two lines).
 */
export async function expectConfigErrorLoggedAgain(
  real: GoToAuth,
  mount: (stub: GoToAuth) => Promise<MountedAdapter>,
): Promise<void> {
  const token = await real.getToken();
  let serving = false;
  const { get, lines } = await mount(refusedUnlessServing(real, token, () => serving));
  const statuses: number[] = [];
  for (const state of [false, true, false]) {
    serving = state;
    statuses.push(await get());
  }
  expect(statuses).toEqual([500, 200, 500]);
  expect(lines()).toHaveLength(2);
}

/**
 * `auth` seen through a proxy that records the `AbortSignal` of each `getToken()` call, so a
 * test can check that an adapter stops waiting when its client goes away.
 */
export function watchSignals(auth: GoToAuth): {
  auth: GoToAuth;
  /** The signal of the latest `getToken()` call. */
  signal(): AbortSignal | undefined;
} {
  let signal: AbortSignal | undefined;
  const watched = new Proxy(auth, {
    get(target, property) {
      if (property === 'getToken') {
        return (options: GetTokenOptions = {}) => {
          signal = options.signal;
          return target.getToken(options);
        };
      }
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { auth: watched, signal: () => signal };
}

/** GETs `url` `count` times at once; resolves each status and JSON body, in order. */
export function getJsonTogether(
  url: string,
  count: number,
): Promise<Array<{ status: number; body: unknown }>> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const response = await fetch(url);
      return { status: response.status, body: (await response.json()) as unknown };
    }),
  );
}

/**
 * What the adapters' test routes answer once they have a token: its organizer key and GoTo's
 * `/me` for it.
 */
export const ME_ANSWER = {
  organizerKey: EMULATOR_DEFAULTS.organizerKey,
  me: expect.objectContaining({ organizerKey: EMULATOR_DEFAULTS.organizerKey }),
};

/**
 * Five callers of `url` at once, then one more: all six get GoTo's `/me` (200), through one
 * password grant and six `/me` calls on `emu`.
 */
export async function expectSixCallsOneGrant(url: string, emu: GoToEmulator): Promise<void> {
  const answers = await getJsonTogether(url, 5);
  answers.push(...(await getJsonTogether(url, 1)));
  expect(answers).toEqual(
    Array(6).fill({
      status: 200,
      body: expect.objectContaining({ organizerKey: EMULATOR_DEFAULTS.organizerKey }),
    }),
  );
  expect(emu.counters.passwordGrants).toBe(1);
  expect(emu.counters.meCalls).toBe(6);
}

/**
 * Requests `url`, and goes away while the adapter waits for a token: resolves once the signal
 * the adapter gave `getToken()` (seen through {@link watchSignals}) has aborted.
 */
export async function leaveWhileWaiting(
  url: string,
  signal: () => AbortSignal | undefined,
): Promise<void> {
  const client = new AbortController();
  const request = fetch(url, { signal: client.signal }).catch((error: unknown) => error);
  await until(() => signal() !== undefined);
  expect(signal()?.aborted).toBe(false);
  client.abort();
  await until(() => signal()?.aborted === true);
  expect(await request).toMatchObject({ name: 'AbortError' });
}

/**
 * `real` as seen while its credentials are refused: `getToken()` rejects with
 * `INVALID_CREDENTIALS`, and `cachedToken()` gives `token` only while `serving` says so (a token
 * that arrived by the refresh timer, not through the adapter).
 */
export function refusedUnlessServing(
  real: GoToAuth,
  token: GoToToken,
  serving: () => boolean,
): GoToAuth {
  return Object.create(real, {
    baseUrl: { value: real.baseUrl },
    cachedToken: { value: () => (serving() ? token : undefined) },
    getToken: {
      value: () =>
        Promise.reject(new GoToAuthError('INVALID_CREDENTIALS', 'GoTo refused the password.')),
    },
  }) as GoToAuth;
}

/**
 * A middleware's answer to a bug-like failure (a TypeError whose message carries
 * `secret-in-a-bug-message`) at `${url}/me`: 500 problem+json `UNEXPECTED_ERROR` without the
 * message, and one log line naming the failure as `named`, without it either.
 */
export async function expectBugAnsweredOnce(
  url: string,
  error: ReturnType<typeof vi.fn>,
  named: string,
): Promise<void> {
  const response = await fetch(`${url}/me`);
  expect(response.status).toBe(500);
  const body = await response.text();
  expect(body).not.toContain('secret-in-a-bug-message');
  expect(JSON.parse(body)).toMatchObject({ code: 'UNEXPECTED_ERROR' });
  expect(error).toHaveBeenCalledTimes(1);
  expect(String(error.mock.calls[0]?.[0])).toContain(named);
  expect(String(error.mock.calls[0]?.[0])).not.toContain('secret-in-a-bug-message');
}
