/**
 * The reliability matrix: faults × moments against the GoTo emulator, each cell's outcome
 * compared with what DESIGN.md section 4 (and the protocol facts of section 1) say must happen.
 * `pnpm bench` renders it into RESULTS.md; `test/reliability.test.ts` asserts the same cells.
 */
import {
  createGoToAuth,
  type GoToAuth,
  type GoToAuthErrorCode,
  type GoToToken,
  isGoToAuthError,
  isRejectedResponse,
  MemoryTokenStore,
  type TokenStore,
} from '@goto-auth/core';
import { type EmulatorFault, type GoToEmulator, startEmulator } from '@goto-auth/emulator';
import { RedisTokenStore } from '@goto-auth/redis';
import { freePort } from '@goto-auth/test-support/net';
import { type RedisServer, startRedis } from '@goto-auth/test-support/redis';
import { Redis } from 'ioredis';
import { JumpClock } from './lib/clock.ts';
import { CREDENTIALS, ME_PATH } from './lib/goto.ts';

/** Settings of the auth under test: short, so the whole matrix runs in seconds. */
export const MATRIX = {
  /** Per-request timeout, ms (generous: a loaded CI machine must not time out a normal answer). */
  timeout: 1000,
  /** Two retries after the first attempt: three requests for a persistent transient fault. */
  retry: { limit: 2, baseDelay: 50, maxDelay: 1500 },
  /** The floor between a grant and one that follows a rejection, ms (DESIGN 4.8). */
  minGrantInterval: 300,
  /** `Retry-After` of the 429 fault, s (within maxDelay, so it is honored rather than final). */
  retryAfterSeconds: 1,
  /** The latency fault: far beyond the timeout. */
  latencyMs: 10_000,
  /** Refresh tokens die after this in the "expired refresh token" row, s. */
  refreshTokenTtlSeconds: 600,
  /** Redis command deadline of the store, ms. */
  redisCommandTimeout: 500,
  /** Gaps are measured from our own fetch calls; the manager's clock reads come a little earlier. */
  gapToleranceMs: 15,
} as const;

const ATTEMPTS = MATRIX.retry.limit + 1;
/** The shortest backoff the manager may pick: half the first capped delay (full jitter). */
const MIN_BACKOFF = MATRIX.retry.baseDelay / 2;

export type FaultId =
  | 'timeout'
  | 'http-500'
  | 'http-502'
  | 'http-503'
  | 'rate-limited'
  | 'dropped'
  | 'malformed-json'
  | 'html'
  | 'oversized'
  | 'wrong-password'
  | 'revoked-token'
  | 'expired-refresh-token'
  | 'redis-down';

export type MomentId = 'cold-start' | 'proactive-refresh' | 'after-invalidate';

export interface FaultSpec {
  id: FaultId;
  label: string;
  /** What "the fault holds from the moment on" means for this row. */
  description: string;
  /** An emulator fault on the token endpoints, applied to every request from the moment on. */
  emulator?: EmulatorFault;
}

export const FAULTS: readonly FaultSpec[] = [
  {
    id: 'timeout',
    label: 'latency beyond the timeout',
    description: `token endpoints answer after ${MATRIX.latencyMs} ms; the timeout is ${MATRIX.timeout} ms`,
    emulator: { type: 'latency', ms: MATRIX.latencyMs },
  },
  {
    id: 'http-500',
    label: 'HTTP 500',
    description: '500 with an OAuth server_error body',
    emulator: { type: 'status', status: 500 },
  },
  {
    id: 'http-502',
    label: 'HTTP 502',
    description: '502 plain-text proxy page',
    emulator: { type: 'status', status: 502 },
  },
  {
    id: 'http-503',
    label: 'HTTP 503',
    description: '503 plain-text proxy page',
    emulator: { type: 'status', status: 503 },
  },
  {
    id: 'rate-limited',
    label: `HTTP 429, Retry-After: ${MATRIX.retryAfterSeconds}`,
    description: `429 with Retry-After: ${MATRIX.retryAfterSeconds}`,
    emulator: { type: 'rate-limit', retryAfterSeconds: MATRIX.retryAfterSeconds },
  },
  {
    id: 'dropped',
    label: 'dropped connection',
    description: 'the socket is destroyed without an answer',
    emulator: { type: 'drop' },
  },
  {
    id: 'malformed-json',
    label: 'malformed JSON',
    description: '200 application/json, a truncated body',
    emulator: { type: 'malformed-json' },
  },
  {
    id: 'html',
    label: 'HTML page',
    description: '200 text/html error page (captive portal, misrouted proxy)',
    emulator: { type: 'html' },
  },
  {
    id: 'oversized',
    label: 'oversized body',
    description: '200 JSON of about 5 MiB',
    emulator: { type: 'oversized' },
  },
  {
    id: 'wrong-password',
    label: 'wrong password',
    description:
      'GoTo refuses the password (invalid_grant). This row runs without a client secret, so ' +
      'every grant is a password grant (Direct Login with a Consumer Key only); before the ' +
      'moment, a process with the right password put the token in the shared store',
  },
  {
    id: 'revoked-token',
    label: 'revoked token',
    description:
      'another client with the same credentials mints a token right after each of our grants ' +
      '(GoToAssist Corporate revokes ours); at "after invalidate" our current token is revoked too',
  },
  {
    id: 'expired-refresh-token',
    label: 'expired refresh token',
    description: `GoTo's refresh tokens live ${MATRIX.refreshTokenTtlSeconds} s; the clock passes that at the moment (the manager still believes GoTo's documented 30 days)`,
  },
  {
    id: 'redis-down',
    label: 'Redis down',
    description:
      'RedisTokenStore (ioredis, default options) on a redis-server killed at the moment ' +
      '(at cold start: nothing listens on the port)',
  },
];

export interface MomentSpec {
  id: MomentId;
  label: string;
  description: string;
}

export const MOMENTS: readonly MomentSpec[] = [
  {
    id: 'cold-start',
    label: 'cold start',
    description: 'a new process, empty store: the first getToken()',
  },
  {
    id: 'proactive-refresh',
    label: 'proactive refresh',
    description:
      'token T0 is valid; the clock reaches its refresh time (expiry − margin), the refresh ' +
      'timer fires, and a caller asks for a token meanwhile',
  },
  {
    id: 'after-invalidate',
    label: 'after invalidate',
    description:
      'token T0 is valid in our cache but GoTo revoked it: the API answers 403 InvalidToken, ' +
      'the caller invalidates T0 and asks again',
  },
];

/** What a caller got from the adapter-style flow. */
export type CallerSaw =
  | { kind: 'token'; which: 'T0' | 'new'; api: number }
  | { kind: 'error'; code: GoToAuthErrorCode | 'UNKNOWN' };

export interface Observed {
  saw: CallerSaw;
  /** Requests that reached the emulator's token endpoints after the moment. */
  tokenRequests: number;
  /** Whether getToken() still returns T0 once the dust settled; 'n/a' at cold start. */
  keptServing: 'yes' | 'no' | 'n/a';
  /**
   * From this process's last token request before the moment to its first one after it, ms
   * (undefined when either is missing).
   */
  firstGapMs: number | undefined;
  /** The shortest gap between two token requests after the moment, ms (fewer than two: undefined). */
  retryGapMs: number | undefined;
}

export interface Expected {
  saw: CallerSaw;
  tokenRequests: number;
  keptServing: 'yes' | 'no' | 'n/a';
  /** A lower bound on `firstGapMs` (the floor after a rejection), when the rules set one. */
  firstGapMs?: number;
  /** A lower bound on `retryGapMs` (backoff, Retry-After, the floor), when the rules set one. */
  retryGapMs?: number;
  /** DESIGN.md rules the expectation follows from. */
  rules: string;
  why: string;
}

const T0_SERVED: CallerSaw = { kind: 'token', which: 'T0', api: 200 };
const NEW_TOKEN: CallerSaw = { kind: 'token', which: 'new', api: 200 };
const REJECTED_AGAIN: CallerSaw = { kind: 'token', which: 'new', api: 403 };
const error = (code: GoToAuthErrorCode): CallerSaw => ({ kind: 'error', code });

/** A fault GoTo may recover from: retried with backoff, the old token serving meanwhile. */
function transient(code: GoToAuthErrorCode, retryGapMs: number): Record<MomentId, Expected> {
  const rules = '4.4, 4.2';
  return {
    'cold-start': {
      saw: error(code),
      tokenRequests: ATTEMPTS,
      keptServing: 'n/a',
      retryGapMs,
      rules,
      why: `transient: retried (${ATTEMPTS} requests), then ${code}`,
    },
    'proactive-refresh': {
      saw: T0_SERVED,
      tokenRequests: ATTEMPTS,
      keptServing: 'yes',
      retryGapMs,
      rules,
      why: 'transient: retried in the background while the still-valid T0 serves',
    },
    'after-invalidate': {
      saw: error(code),
      tokenRequests: ATTEMPTS,
      keptServing: 'no',
      firstGapMs: MATRIX.minGrantInterval,
      retryGapMs,
      rules: '4.4, 4.5, 4.8',
      why: `T0 was rejected, so nothing may serve it: retried, then ${code}`,
    },
  };
}

/**
 * A final answer from GoTo: never retried. With `refreshFirst`, the moments that hold a refresh
 * token send it first; its failure is not transient, so it is dropped and the password grant
 * follows once (4.2): two requests.
 */
function final(
  code: GoToAuthErrorCode,
  rules: string,
  what: string,
  refreshFirst = false,
): Record<MomentId, Expected> {
  const later = refreshFirst ? 2 : 1;
  const fallback = refreshFirst ? ' (the refresh, then the password grant once)' : '';
  return {
    'cold-start': {
      saw: error(code),
      tokenRequests: 1,
      keptServing: 'n/a',
      rules,
      why: `${what}: not retried`,
    },
    'proactive-refresh': {
      saw: T0_SERVED,
      tokenRequests: later,
      keptServing: 'yes',
      rules: `${rules.includes('4.4') ? rules : `${rules}, 4.4`}${refreshFirst ? ', 4.2' : ''}`,
      why: `${what}${fallback}: not retried; the still-valid T0 keeps serving`,
    },
    'after-invalidate': {
      saw: error(code),
      tokenRequests: later,
      keptServing: 'no',
      firstGapMs: MATRIX.minGrantInterval,
      rules: `${rules}, 4.5, 4.8${refreshFirst ? ', 4.2' : ''}`,
      why: `${what}${fallback}: not retried; T0 was rejected; the grant waited for the floor`,
    },
  };
}

const retryAfterMs = MATRIX.retryAfterSeconds * 1000;
const invalidResponse = final('INVALID_RESPONSE', '§1, §7', 'not a usable token response', true);

/**
 * The expected outcome of every cell, as data, from DESIGN.md:
 * - 4.2: single flight; a refresh that fails for any non-transient reason drops that refresh
 *   token and falls back to the password grant once.
 * - 4.4: network, timeout, 5xx and 429 retry with capped exponential backoff and jitter,
 *   honoring Retry-After; the still-valid old token keeps serving; INVALID_CREDENTIALS and
 *   INVALID_CLIENT are never retried (and nothing outside that list is "transient").
 * - 4.5: invalidate() drops the current token.
 * - 4.8: a grant that follows a rejection waits for the floor interval since the previous one.
 * - §1: anything that is not a (documented-quirk) JSON token response is INVALID_RESPONSE;
 *   API calls rejected with 403 InvalidToken are invalidated and retried once.
 * - §5: processes sharing a store never mint without it (one grant per lifetime).
 * - §7: response bodies are size-capped before parsing; every request has a timeout.
 */
export const EXPECTED: Record<FaultId, Record<MomentId, Expected>> = {
  timeout: transient('TIMEOUT', MIN_BACKOFF),
  'http-500': transient('SERVER_ERROR', MIN_BACKOFF),
  'http-502': transient('SERVER_ERROR', MIN_BACKOFF),
  'http-503': transient('SERVER_ERROR', MIN_BACKOFF),
  'rate-limited': transient('RATE_LIMITED', retryAfterMs),
  dropped: transient('NETWORK_ERROR', MIN_BACKOFF),
  'malformed-json': invalidResponse,
  html: invalidResponse,
  oversized: invalidResponse,
  'wrong-password': {
    ...final('INVALID_CREDENTIALS', '4.4', 'invalid_grant on the password grant'),
    // T0 came from another process through the store: this one never granted, so no floor.
    'after-invalidate': {
      saw: error('INVALID_CREDENTIALS'),
      tokenRequests: 1,
      keptServing: 'no',
      rules: '4.4, 4.5',
      why: 'invalid_grant on the password grant: not retried; T0 was rejected',
    },
  },
  'revoked-token': {
    'cold-start': {
      saw: REJECTED_AGAIN,
      tokenRequests: 2,
      keptServing: 'n/a',
      retryGapMs: MATRIX.minGrantInterval,
      rules: '4.5, 4.8, §1',
      why: 'the 403 invalidates, one retry with a new token after the floor; it is revoked too',
    },
    'proactive-refresh': {
      saw: REJECTED_AGAIN,
      tokenRequests: 2,
      keptServing: 'no',
      retryGapMs: MATRIX.minGrantInterval,
      rules: '4.3, 4.5, 4.8, §1',
      why: 'the scheduled refresh is not delayed; the grant after the 403 waits for the floor',
    },
    'after-invalidate': {
      saw: REJECTED_AGAIN,
      tokenRequests: 1,
      keptServing: 'no',
      firstGapMs: MATRIX.minGrantInterval,
      rules: '4.5, 4.8, §1',
      why: 'one grant after the floor, one retry; the new token is revoked too',
    },
  },
  'expired-refresh-token': {
    'cold-start': {
      saw: NEW_TOKEN,
      tokenRequests: 1,
      keptServing: 'n/a',
      rules: '4.2',
      why: 'no refresh token yet: one password grant',
    },
    'proactive-refresh': {
      saw: NEW_TOKEN,
      tokenRequests: 2,
      keptServing: 'no',
      rules: '4.2',
      why: 'refresh_token grant refused, password grant once',
    },
    'after-invalidate': {
      saw: NEW_TOKEN,
      tokenRequests: 2,
      keptServing: 'no',
      firstGapMs: MATRIX.minGrantInterval,
      rules: '4.2, 4.5, 4.8',
      why: 'refresh_token grant refused, password grant once',
    },
  },
  'redis-down': {
    'cold-start': {
      saw: error('STORE_ERROR'),
      tokenRequests: 0,
      keptServing: 'n/a',
      rules: '§5, 4.4',
      why: 'never mints without the shared store: STORE_ERROR after retries',
    },
    'proactive-refresh': {
      saw: T0_SERVED,
      tokenRequests: 0,
      keptServing: 'yes',
      rules: '§5, 4.4',
      why: 'never mints without the shared store; the still-valid T0 keeps serving',
    },
    'after-invalidate': {
      saw: error('STORE_ERROR'),
      tokenRequests: 0,
      keptServing: 'no',
      rules: '§5, 4.5',
      why: 'never mints without the shared store; T0 was rejected',
    },
  },
};

/** Whether `observed` is what `expected` says; the reasons when not. */
export function compare(observed: Observed, expected: Expected): { match: boolean; why: string[] } {
  const why: string[] = [];
  if (describeSaw(observed.saw) !== describeSaw(expected.saw)) {
    why.push(`caller saw ${describeSaw(observed.saw)}, expected ${describeSaw(expected.saw)}`);
  }
  if (observed.tokenRequests !== expected.tokenRequests) {
    why.push(`${observed.tokenRequests} token requests, expected ${expected.tokenRequests}`);
  }
  if (observed.keptServing !== expected.keptServing) {
    why.push(`kept serving: ${observed.keptServing}, expected ${expected.keptServing}`);
  }
  const atLeast = (name: string, gap: number | undefined, bound: number | undefined) => {
    if (bound === undefined) return;
    if (gap === undefined || gap < bound - MATRIX.gapToleranceMs) {
      const seen = gap === undefined ? 'none' : `${Math.round(gap)} ms`;
      why.push(`${name} ${seen}, expected ≥ ${bound} ms`);
    }
  };
  atLeast('first gap', observed.firstGapMs, expected.firstGapMs);
  atLeast('shortest retry gap', observed.retryGapMs, expected.retryGapMs);
  return { match: why.length === 0, why };
}

export function describeSaw(saw: CallerSaw): string {
  if (saw.kind === 'error') return `error ${saw.code}`;
  const token = saw.which === 'T0' ? 'T0 (old token)' : 'new token';
  return `${token} → /me ${saw.api}`;
}

function codeOf(caught: unknown): GoToAuthErrorCode | 'UNKNOWN' {
  return isGoToAuthError(caught) ? caught.code : 'UNKNOWN';
}

/** Resolves once no refresh is running (events, not polling); bounded. */
async function settled(auth: GoToAuth, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (auth.status().state === 'refreshing') {
    if (Date.now() > deadline) throw new Error('the refresh did not settle');
    await new Promise<void>((resolve) => {
      const offs: (() => void)[] = [];
      const done = () => {
        for (const off of offs) off();
        clearTimeout(timer);
        resolve();
      };
      offs.push(auth.on('token', done));
      offs.push(
        auth.on('refresh-failed', (event) => {
          if (event.retryIn === undefined) done();
        }),
      );
      // A flight that ends without an event (closed): look again.
      const timer = setTimeout(done, 1000);
    });
    // Waiters resume after the event: let them run before looking again.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

interface Cell {
  emulator: GoToEmulator;
  auth: GoToAuth;
  /** The "revoked token" fault: another client mints right after each of our grants. */
  mintAfterGrant: boolean;
}

async function me(cell: Cell, token: GoToToken): Promise<{ status: number; rejected: boolean }> {
  const response = await fetch(`${cell.emulator.url}${ME_PATH}`, {
    headers: { authorization: `Bearer ${token.accessToken}` },
  });
  const rejected = await isRejectedResponse(response);
  await response.arrayBuffer();
  return { status: response.status, rejected };
}

/** What an adapter does: get a token, call GoTo, on rejection invalidate and retry once. */
async function callerFlow(cell: Cell, t0: GoToToken | undefined): Promise<CallerSaw> {
  let token: GoToToken;
  try {
    token = await cell.auth.getToken();
  } catch (caught) {
    return error(codeOf(caught) as GoToAuthErrorCode);
  }
  let answer = await me(cell, token);
  if (answer.rejected) {
    cell.auth.invalidate(token.accessToken);
    try {
      token = await cell.auth.getToken();
    } catch (caught) {
      return error(codeOf(caught) as GoToAuthErrorCode);
    }
    answer = await me(cell, token);
  }
  const which = t0 !== undefined && token.accessToken === t0.accessToken ? 'T0' : 'new';
  return { kind: 'token', which, api: answer.status };
}

function tokenRequests(emulator: GoToEmulator): number {
  // Every request the emulator received, minus the API calls: the token endpoints' share.
  return emulator.counters.requests - emulator.counters.meCalls;
}

export interface CellOptions {
  /** Starts a redis-server for the "Redis down" row (default: `startRedis`). */
  startRedis?: () => Promise<RedisServer>;
}

/** Runs one cell of the matrix and reports what happened. */
export async function runCell(
  faultId: FaultId,
  momentId: MomentId,
  options: CellOptions = {},
): Promise<Observed> {
  const fault = FAULTS.find((f) => f.id === faultId);
  if (fault === undefined) throw new Error(`unknown fault ${faultId}`);
  const clock = new JumpClock();
  const cleanup: (() => Promise<void> | void)[] = [() => clock.dispose()];
  try {
    const emulator = await startEmulator({
      now: clock.now,
      ...(faultId === 'expired-refresh-token'
        ? { refreshTokenTtlSeconds: MATRIX.refreshTokenTtlSeconds }
        : {}),
    });
    cleanup.push(() => emulator.close());

    let store: TokenStore = new MemoryTokenStore({ now: clock.now });
    let redis: { server?: RedisServer; client: Redis } | undefined;
    if (faultId === 'redis-down') {
      const server =
        momentId === 'cold-start' ? undefined : await (options.startRedis ?? startRedis)();
      if (server !== undefined) cleanup.push(() => server.close());
      const port = server?.port ?? (await freePort());
      const client = new Redis({ host: '127.0.0.1', port });
      // Reconnection attempts fail while the server is gone: expected here, not news.
      client.on('error', () => {});
      cleanup.push(() => client.disconnect());
      redis = { server, client };
      store = new RedisTokenStore({
        client,
        keyPrefix: `bench-matrix-${Date.now()}:`,
        commandTimeout: MATRIX.redisCommandTimeout,
      });
    }

    /** Times (clock) of this auth's token requests. */
    const requestTimes: number[] = [];
    const cell: Cell = { emulator, auth: undefined as unknown as GoToAuth, mintAfterGrant: false };
    const passwordGrantsOnly = faultId === 'wrong-password';
    const fetchImpl: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      const isToken = new URL(url).pathname.startsWith('/oauth/');
      if (isToken) requestTimes.push(clock.now());
      const response = await fetch(input, init);
      // Another client mints right after our grant: GoToAssist Corporate revokes ours.
      if (isToken && cell.mintAfterGrant && response.status === 200) emulator.mintToken();
      return response;
    };
    const settings = {
      baseUrl: emulator.url,
      store,
      timeout: MATRIX.timeout,
      retry: MATRIX.retry,
      minGrantInterval: MATRIX.minGrantInterval,
      now: clock.now,
      timers: clock,
      logger: false as const,
    };
    const auth = createGoToAuth({
      ...settings,
      clientId: CREDENTIALS.clientId,
      clientSecret: passwordGrantsOnly ? undefined : CREDENTIALS.clientSecret,
      userId: CREDENTIALS.userId,
      password: passwordGrantsOnly ? 'not-the-password' : CREDENTIALS.password,
      fetch: fetchImpl,
    });
    cell.auth = auth;
    cleanup.push(() => auth.close());

    // Before the moment.
    let t0: GoToToken | undefined;
    if (momentId !== 'cold-start') {
      if (passwordGrantsOnly) {
        // A process with the right password puts T0 in the shared store.
        const other = createGoToAuth({
          ...settings,
          clientId: CREDENTIALS.clientId,
          userId: CREDENTIALS.userId,
          password: CREDENTIALS.password,
        });
        await other.getToken();
        await other.close();
      }
      t0 = await auth.getToken();
    }
    const requestsBefore = requestTimes.length;
    const before = tokenRequests(emulator);

    // The fault holds from the moment on.
    if (fault.emulator !== undefined) emulator.fault(fault.emulator, { rate: 1 });
    if (faultId === 'revoked-token') cell.mintAfterGrant = true;
    if (faultId === 'expired-refresh-token')
      clock.advance(MATRIX.refreshTokenTtlSeconds * 1000 + 1000);
    if (faultId === 'redis-down' && redis?.server !== undefined) {
      const closed = new Promise((resolve) => redis.client.once('close', resolve));
      await redis.server.kill();
      await closed;
    }

    // The moment.
    if (momentId === 'proactive-refresh') {
      const { refreshAt } = auth.status();
      if (refreshAt === undefined) throw new Error('no refresh scheduled');
      clock.advanceTo(refreshAt);
    } else if (momentId === 'after-invalidate') {
      // GoTo no longer accepts T0 (another client minted, or it was revoked).
      emulator.revokeAll();
    }
    const saw = await callerFlow(cell, t0);
    await settled(auth);
    const requests = tokenRequests(emulator) - before;

    let keptServing: Observed['keptServing'] = 'n/a';
    if (t0 !== undefined) {
      const now = await auth.getToken({ signal: AbortSignal.timeout(3000) }).catch(() => undefined);
      keptServing = now?.accessToken === t0.accessToken ? 'yes' : 'no';
    }

    const after = requestTimes.slice(requestsBefore);
    const lastBefore = requestTimes[requestsBefore - 1];
    const firstGapMs =
      lastBefore === undefined || after[0] === undefined ? undefined : after[0] - lastBefore;
    let retryGapMs: number | undefined;
    for (let i = 1; i < after.length; i++) {
      const gap = (after[i] as number) - (after[i - 1] as number);
      retryGapMs = retryGapMs === undefined ? gap : Math.min(retryGapMs, gap);
    }
    return { saw, tokenRequests: requests, keptServing, firstGapMs, retryGapMs };
  } finally {
    for (const step of cleanup.reverse()) {
      try {
        await step();
      } catch {
        // Cleanup of a cell must not hide its outcome.
      }
    }
  }
}

export interface CellResult {
  fault: FaultSpec;
  moment: MomentSpec;
  observed: Observed;
  expected: Expected;
  match: boolean;
  why: string[];
}

/** Every cell (or those of the given moments), one after the other. */
export async function runMatrix(
  options: CellOptions & { moments?: readonly MomentId[] } = {},
): Promise<CellResult[]> {
  const results: CellResult[] = [];
  for (const fault of FAULTS) {
    for (const moment of MOMENTS) {
      if (options.moments !== undefined && !options.moments.includes(moment.id)) continue;
      const observed = await runCell(fault.id, moment.id, options);
      const expected = EXPECTED[fault.id][moment.id];
      const { match, why } = compare(observed, expected);
      results.push({ fault, moment, observed, expected, match, why });
    }
  }
  return results;
}
