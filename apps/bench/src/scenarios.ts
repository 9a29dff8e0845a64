/**
 * Production scenarios: the failures a real deployment meets (a retired refresh endpoint, a
 * changed password, a slow GoTo under the lock, hosts whose clocks disagree, close() during a
 * refresh), each run against the emulator over HTTP and compared with what DESIGN.md sections 4
 * and 5 say must happen. `pnpm bench` renders them into RESULTS.md beside the fault matrix;
 * `test/scenarios.test.ts` asserts the same rows. Only counts and outcomes decide a row: times
 * are reported, never judged.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createGoToAuth,
  type GoToAuth,
  type GoToAuthOptions,
  type GoToToken,
  isGoToAuthError,
  isRejectedResponse,
  MemoryTokenStore,
  type TokenStore,
} from '@goto-auth/core';
import { type GoToEmulator, startEmulator } from '@goto-auth/emulator';
import { RedisTokenStore } from '@goto-auth/redis';
import { type RedisServer, startRedis } from '@goto-auth/test-support/redis';
import { Redis } from 'ioredis';
import { JumpClock, VirtualClock } from './lib/clock.ts';
import { CREDENTIALS, ME_PATH } from './lib/goto.ts';

/** Settings of the scenarios: what the brief of each row names. */
export const SCENARIO_SETTINGS = {
  retired: { ttlSeconds: 3, callEveryMs: 100, durationMs: 10_000 },
  password: { callEveryMs: 1000, durationMs: 3_600_000, maxAttempts: 8 },
  slow: { requestDelayMs: 900, lockTtl: 1200, timeout: 2000, lifetimes: 3 },
  skew: { skewsMs: [-60_000, 0, 60_000], aheadMs: 60_000, rounds: 20, maxGrants: 2 },
  close: { callers: 3 },
  /** The floor between grants after a rejection, ms (DESIGN 4.8), where a row meets one. */
  minGrantInterval: 300,
} as const;

export type ScenarioId =
  | 'retired-refresh'
  | 'changed-password'
  | 'slow-lock'
  | 'clock-skew'
  | 'close-during-refresh';

/** One named count or outcome of a run: what a row is judged on. */
export interface Measure {
  name: string;
  observed: number | string;
  /** What DESIGN requires of it. */
  expected: { equals: number | string } | { atMost: number };
}

export interface ScenarioRun {
  measures: Measure[];
  /** Things reported beside the measures (times, schedules): never judged. */
  reported: string[];
}

export interface ScenarioSpec {
  id: ScenarioId;
  label: string;
  /** How the run is set up, in a sentence or two. */
  setup: string;
  /** The expected outcome, from DESIGN. */
  expected: string;
  /** DESIGN.md sections it follows from. */
  rules: string;
  run: (options?: ScenarioOptions) => Promise<ScenarioRun>;
}

export interface ScenarioOptions {
  /** Starts a redis-server for the rows on Redis (default: `startRedis`). */
  startRedis?: () => Promise<RedisServer>;
}

export interface ScenarioResult {
  spec: ScenarioSpec;
  run: ScenarioRun;
  match: boolean;
  /** The measures that missed, in words. */
  why: string[];
}

/** Whether every measure of a run is what DESIGN requires; the misses in words. */
export function judge(run: ScenarioRun): { match: boolean; why: string[] } {
  const why: string[] = [];
  for (const m of run.measures) {
    const { expected } = m;
    if ('equals' in expected && m.observed !== expected.equals) {
      why.push(`${m.name}: ${m.observed}, expected ${expected.equals}`);
    }
    if (
      'atMost' in expected &&
      !(typeof m.observed === 'number' && m.observed <= expected.atMost)
    ) {
      why.push(`${m.name}: ${m.observed}, expected ≤ ${expected.atMost}`);
    }
  }
  return { match: why.length === 0, why };
}

/** The longest wait for something that must end (a close(), a cleanup step), ms. */
const CAP_MS = 5000;

/** Whether `promise` settled within {@link CAP_MS}. */
function settlesInTime(promise: Promise<unknown>): Promise<boolean> {
  return Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), CAP_MS).unref()),
  ]);
}

/** Work to undo when a run ends, last registered first; every step runs, none for long. */
class Cleanup {
  readonly #steps: (() => Promise<unknown> | unknown)[] = [];
  add(step: () => Promise<unknown> | unknown): void {
    this.#steps.push(step);
  }
  async run(): Promise<void> {
    for (const step of this.#steps.reverse()) {
      // Cleanup must not hide the outcome, nor hang the run.
      await settlesInTime(Promise.resolve().then(step));
    }
  }
}

/** Runs `body` with a cleanup list that is emptied afterwards, whatever happens. */
async function withCleanup<T>(body: (cleanup: Cleanup) => Promise<T>): Promise<T> {
  const cleanup = new Cleanup();
  try {
    return await body(cleanup);
  } finally {
    await cleanup.run();
  }
}

/** A stand-in for GoTo's authentication host: every request gets `answer`; bodies are kept. */
async function authHost(
  cleanup: Cleanup,
  answer: { status: number; type: string; body: string },
): Promise<{ url: string; bodies: URLSearchParams[] }> {
  const bodies: URLSearchParams[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      bodies.push(new URLSearchParams(Buffer.concat(chunks).toString()));
      res.writeHead(answer.status, { 'content-type': answer.type });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.add(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies };
}

async function emulatorFor(
  cleanup: Cleanup,
  options: Parameters<typeof startEmulator>[0],
): Promise<GoToEmulator> {
  const emulator = await startEmulator(options);
  cleanup.add(() => emulator.close());
  return emulator;
}

function authFor(
  cleanup: Cleanup,
  emulator: GoToEmulator,
  options: Partial<GoToAuthOptions>,
): GoToAuth {
  const auth = createGoToAuth({
    ...CREDENTIALS,
    baseUrl: emulator.url,
    logger: false,
    ...options,
  });
  cleanup.add(() => auth.close());
  return auth;
}

/** A RedisTokenStore on its own connection (one per simulated process). */
function redisStore(cleanup: Cleanup, server: RedisServer, keyPrefix: string): TokenStore {
  const client = new Redis({ host: '127.0.0.1', port: server.port });
  cleanup.add(() => client.disconnect());
  return new RedisTokenStore({ client, keyPrefix });
}

const isTokenPath = (input: RequestInfo | URL): boolean =>
  new URL(input instanceof Request ? input.url : String(input)).pathname.startsWith('/oauth/');

/** Calls GoTo's `/me`; the status and whether GoTo rejected the token. */
async function callMe(
  emulator: GoToEmulator,
  token: GoToToken,
): Promise<{ status: number; rejected: boolean }> {
  const response = await fetch(`${emulator.url}${ME_PATH}`, {
    headers: { authorization: `Bearer ${token.accessToken}` },
  });
  const rejected = await isRejectedResponse(response);
  await response.arrayBuffer();
  return { status: response.status, rejected };
}

/**
 * What an adapter does for one API call: get a token, call `/me`, and on a rejection invalidate
 * it and retry once. Whether the call succeeded, and the token it ended with.
 */
async function apiCall(
  auth: GoToAuth,
  emulator: GoToEmulator,
): Promise<{ ok: boolean; token?: string }> {
  try {
    let token = await auth.getToken();
    let answer = await callMe(emulator, token);
    if (answer.rejected) {
      auth.invalidate(token.accessToken);
      token = await auth.getToken();
      answer = await callMe(emulator, token);
    }
    return { ok: answer.status === 200, token: token.accessToken };
  } catch {
    return { ok: false };
  }
}

/** Lets pending promise callbacks and I/O callbacks run. */
async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Resolves once `condition` holds, polling on I/O turns; bounded. */
async function until(condition: () => boolean, what: string, limit = 10_000): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const seconds = (ms: number) => {
  if (ms === 3_600_000) return 'an hour';
  return ms >= 60_000 ? `${ms / 60_000} min` : `${ms / 1000} s`;
};

/**
 * The refresh moments of `lifetimeMs` tokens over `durationMs` when a refresh is due at ¾ of
 * the lifetime (the margin is capped at a quarter of the lifetime, DESIGN 4.3) and the clock
 * moves in steps of `stepMs`: the grants one process must make, one per lifetime.
 */
export function grantsPerRun(lifetimeMs: number, durationMs: number, stepMs: number): number {
  const every = Math.ceil((lifetimeMs * 3) / 4 / stepMs) * stepMs;
  return Math.floor((durationMs - 1) / every) + 1;
}

// 1. ---------------------------------------------------------------------------------------

async function retiredRefresh(): Promise<ScenarioRun> {
  const { ttlSeconds, callEveryMs, durationMs } = SCENARIO_SETTINGS.retired;
  return withCleanup(async (cleanup) => {
    const clock = new VirtualClock();
    const emulator = await emulatorFor(cleanup, {
      now: clock.now,
      accessTokenTtlSeconds: ttlSeconds,
    });
    const gone = await authHost(cleanup, {
      status: 404,
      type: 'text/html',
      body: '<html><body><h1>404 Not Found</h1></body></html>',
    });
    const auth = authFor(cleanup, emulator, {
      authUrl: gone.url,
      store: new MemoryTokenStore({ now: clock.now }),
      now: clock.now,
      timers: clock,
    });
    const warnings: string[] = [];
    auth.on('warning', (event) => warnings.push(event.code));

    const start = clock.now();
    const calls = durationMs / callEveryMs;
    let ok = 0;
    for (let i = 0; i < calls; i++) {
      if ((await apiCall(auth, emulator)).ok) ok++;
      clock.advanceTo(start + (i + 1) * callEveryMs);
    }
    const refreshTokens = gone.bodies.map((body) => body.get('refresh_token'));
    const grants = grantsPerRun(ttlSeconds * 1000, durationMs, callEveryMs);
    return {
      measures: [
        { name: 'calls answered 200', observed: ok, expected: { equals: calls } },
        {
          name: 'password grants',
          observed: emulator.counters.passwordGrants,
          expected: { equals: grants },
        },
        {
          name: 'refresh requests to the gone endpoint',
          observed: refreshTokens.length,
          expected: { equals: grants - 1 },
        },
        {
          name: 'refresh tokens tried more than once',
          observed: refreshTokens.length - new Set(refreshTokens).size,
          expected: { equals: 0 },
        },
        {
          name: 'REFRESH_UNAVAILABLE warnings',
          observed: warnings.filter((code) => code === 'REFRESH_UNAVAILABLE').length,
          expected: { equals: 1 },
        },
      ],
      reported: [`${grants} lifetimes begin in ${seconds(durationMs)}`],
    };
  });
}

// 2. ---------------------------------------------------------------------------------------

async function changedPassword(): Promise<ScenarioRun> {
  const { callEveryMs, durationMs, maxAttempts } = SCENARIO_SETTINGS.password;
  return withCleanup(async (cleanup) => {
    const clock = new VirtualClock();
    const emulator = await emulatorFor(cleanup, { now: clock.now });
    let inCall = false;
    let attempts = 0;
    let timerDriven = 0;
    const counting: typeof fetch = (input, init) => {
      if (isTokenPath(input)) {
        attempts++;
        if (!inCall) timerDriven++;
      }
      return fetch(input, init);
    };
    // No client secret: Direct Login with a Consumer Key only, so every grant is a password
    // grant, and the password is the one an administrator has since changed.
    const auth = authFor(cleanup, emulator, {
      clientSecret: undefined,
      password: 'the-password-before-it-changed',
      fetch: counting,
      now: clock.now,
      timers: clock,
    });

    const start = clock.now();
    const codes = new Set<string>();
    const retryAts: number[] = [];
    for (let t = 0; t < durationMs; t += callEveryMs) {
      clock.advanceTo(start + t);
      // A refresh a timer started would send now, before the caller below.
      await turns(3);
      inCall = true;
      try {
        await auth.getToken();
        codes.add('token');
      } catch (caught) {
        codes.add(isGoToAuthError(caught) ? caught.code : 'other');
      }
      inCall = false;
      const retryAt = auth.status().lastError?.retryAt;
      if (retryAt !== undefined && retryAt !== retryAts.at(-1)) retryAts.push(retryAt);
    }
    const inHour = attempts;
    // Then an hour with no caller at all: nothing may try the password again.
    for (let t = durationMs; t <= 2 * durationMs; t += 10_000) {
      clock.advanceTo(start + t);
      await turns(3);
    }
    const coolDowns = retryAts.map((at, i) => at - (i === 0 ? start : (retryAts[i - 1] ?? 0)));
    return {
      measures: [
        {
          name: 'password attempts in the hour',
          observed: inHour,
          expected: { atMost: maxAttempts },
        },
        {
          name: 'attempts no caller asked for (two hours)',
          observed: timerDriven + (attempts - inHour),
          expected: { equals: 0 },
        },
        {
          name: 'what callers saw',
          observed: [...codes].join(', '),
          expected: { equals: 'INVALID_CREDENTIALS' },
        },
      ],
      reported: [
        `next attempt allowed after ${coolDowns.map(seconds).join(', ')} (status().lastError.retryAt)`,
      ],
    };
  });
}

// 3. ---------------------------------------------------------------------------------------

async function slowLock(options: ScenarioOptions = {}): Promise<ScenarioRun> {
  const { requestDelayMs, lockTtl, timeout, lifetimes } = SCENARIO_SETTINGS.slow;
  return withCleanup(async (cleanup) => {
    const server = await (options.startRedis ?? startRedis)();
    cleanup.add(() => server.close());
    // Real time for the lock, the delays and the polls; held (jumped) time for the hour.
    const clock = new JumpClock();
    cleanup.add(() => clock.dispose());
    const emulator = await emulatorFor(cleanup, { now: clock.now });
    const refusing = await authHost(cleanup, {
      status: 400,
      type: 'application/json',
      body: '{"error":"invalid_grant"}',
    });
    const slow: typeof fetch = async (input, init) => {
      if (isTokenPath(input)) await new Promise((resolve) => setTimeout(resolve, requestDelayMs));
      return fetch(input, init);
    };
    const keyPrefix = `bench-slow-lock-${Date.now()}:`;
    const lockOutcomes: string[] = [];
    const processes = [0, 1].map(() => {
      const auth = authFor(cleanup, emulator, {
        authUrl: refusing.url,
        store: redisStore(cleanup, server, keyPrefix),
        fetch: slow,
        timeout,
        lockTtl,
        lockPollInterval: 50,
        now: clock.now,
        timers: clock,
      });
      auth.on('lock', (event) => lockOutcomes.push(event.outcome));
      return auth;
    });

    let lifetimesWithOneToken = 0;
    let failedCalls = 0;
    const started = performance.now();
    for (let lifetime = 0; lifetime < lifetimes; lifetime++) {
      if (lifetime > 0) {
        const refreshAt = processes[0]?.status().refreshAt;
        if (refreshAt === undefined) throw new Error('no refresh scheduled');
        clock.advanceTo(refreshAt); // both processes' refresh timers fire
      }
      const results = await Promise.all(processes.map((auth) => apiCall(auth, emulator)));
      failedCalls += results.filter((r) => !r.ok).length;
      if (new Set(results.map((r) => r.token)).size === 1) lifetimesWithOneToken++;
    }
    const count = (outcome: string) => lockOutcomes.filter((o) => o === outcome).length;
    return {
      measures: [
        {
          name: 'password grants',
          observed: emulator.counters.passwordGrants,
          expected: { equals: lifetimes },
        },
        {
          name: 'refused refresh requests',
          observed: refusing.bodies.length,
          expected: { equals: lifetimes - 1 },
        },
        {
          name: 'lifetimes where both processes used one token',
          observed: lifetimesWithOneToken,
          expected: { equals: lifetimes },
        },
        { name: 'failed calls', observed: failedCalls, expected: { equals: 0 } },
      ],
      reported: [
        `lock: acquired ×${count('acquired')}, delivered ×${count('delivered')}, timeout ×${count('timeout')}`,
        `${lifetimes} lifetimes in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      ],
    };
  });
}

// 4. ---------------------------------------------------------------------------------------

async function clockSkew(options: ScenarioOptions = {}): Promise<ScenarioRun> {
  const { skewsMs, aheadMs, rounds, maxGrants } = SCENARIO_SETTINGS.skew;
  return withCleanup(async (cleanup) => {
    const server = await (options.startRedis ?? startRedis)();
    cleanup.add(() => server.close());
    const emulator = await emulatorFor(cleanup, {});
    const keyPrefix = `bench-clock-skew-${Date.now()}:`;
    const host = (skewMs: number) =>
      authFor(cleanup, emulator, {
        store: redisStore(cleanup, server, keyPrefix),
        minGrantInterval: SCENARIO_SETTINGS.minGrantInterval,
        now: () => Date.now() + skewMs,
      });
    // A host whose clock runs ahead mints the stored token, then leaves.
    const ahead = host(aheadMs);
    await ahead.getToken();
    await ahead.close();
    const processes = skewsMs.map(host);
    await Promise.all(processes.map((auth) => auth.getToken()));
    const grantsBefore = emulator.counters.passwordGrants + emulator.counters.refreshGrants;

    emulator.reset();
    emulator.mintToken(); // another client with the credentials: GoTo revokes the stored token
    let failed = 0;
    let calls = 0;
    let last: (string | undefined)[] = [];
    for (let round = 0; round < rounds; round++) {
      // Even rounds call one process after the other, slowest clock first (the order in which a
      // store that trusted clocks would refuse each newer token); odd rounds call all at once.
      const results: { ok: boolean; token?: string }[] = [];
      if (round % 2 === 0) {
        for (const auth of processes) results.push(await apiCall(auth, emulator));
      } else {
        results.push(...(await Promise.all(processes.map((auth) => apiCall(auth, emulator)))));
      }
      calls += results.length;
      failed += results.filter((r) => !r.ok).length;
      last = results.map((r) => r.token);
    }
    return {
      measures: [
        {
          name: 'grants before the revocation (the host ahead)',
          observed: grantsBefore,
          expected: { equals: 1 },
        },
        {
          name: 'grants after the revocation',
          observed: emulator.counters.passwordGrants + emulator.counters.refreshGrants,
          expected: { atMost: maxGrants },
        },
        { name: 'failed calls', observed: failed, expected: { equals: 0 } },
        { name: 'tokens in use at the end', observed: new Set(last).size, expected: { equals: 1 } },
      ],
      reported: [
        `/me rejected ${emulator.counters.meRejected} of ${emulator.counters.meCalls} (each followed by invalidate() and one retry); ${calls} calls in all`,
      ],
    };
  });
}

// 5. ---------------------------------------------------------------------------------------

async function closeDuringRefresh(): Promise<ScenarioRun> {
  const { callers } = SCENARIO_SETTINGS.close;
  return withCleanup(async (cleanup) => {
    const emulator = await emulatorFor(cleanup, {});
    const inner = new MemoryTokenStore();
    let pendingGets = 0;
    let answer: () => void = () => {};
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    // A store whose get hangs (a Redis that stopped answering without closing the connection)
    // until close() has returned; then it answers, and the refresh behind it must not send.
    const hanging: TokenStore = {
      get: async (key) => {
        pendingGets++;
        await answered;
        return inner.get(key);
      },
      set: (key, token, ttl, expected) => inner.set(key, token, ttl, expected),
      delete: (key) => inner.delete(key),
      lock: (key, ttl) => inner.lock(key, ttl),
    };
    let sent = 0;
    const counting: typeof fetch = (input, init) => {
      sent++;
      return fetch(input, init);
    };
    const auth = authFor(cleanup, emulator, { store: hanging, fetch: counting });
    const order: string[] = [];
    const codes: string[] = [];
    const rejectedAfterMs: number[] = [];
    let closeCalledAt = 0;
    const waiting = Array.from({ length: callers }, () =>
      auth.getToken().then(
        () => {
          order.push('caller');
          codes.push('token');
        },
        (caught: unknown) => {
          order.push('caller');
          codes.push(isGoToAuthError(caught) ? caught.code : 'other');
          rejectedAfterMs.push(performance.now() - closeCalledAt);
        },
      ),
    );
    await until(() => pendingGets > 0, 'the refresh to read the store');
    closeCalledAt = performance.now();
    const closed = await settlesInTime(auth.close());
    const closeMs = performance.now() - closeCalledAt;
    order.push('close');
    await settlesInTime(Promise.all(waiting));
    answer();
    await turns(50); // a refresh that went on after the store answered would have sent by now
    return {
      measures: [
        {
          name: `close() returned (within ${seconds(CAP_MS)})`,
          observed: closed ? 'yes' : 'no',
          expected: { equals: 'yes' },
        },
        {
          name: 'callers that got CLOSED',
          observed: codes.filter((code) => code === 'CLOSED').length,
          expected: { equals: callers },
        },
        {
          name: 'callers answered before close() returned',
          observed: order.indexOf('close'),
          expected: { equals: callers },
        },
        {
          name: 'token requests sent (the store answered after close())',
          observed: sent,
          expected: { equals: 0 },
        },
        {
          name: 'requests that reached the emulator',
          observed: emulator.counters.requests,
          expected: { equals: 0 },
        },
      ],
      reported: [
        closed
          ? `close() returned after ${Math.round(closeMs)} ms (it waits at most about a second for a store call it cannot cancel)`
          : `close() had not returned after ${seconds(CAP_MS)}`,
        rejectedAfterMs.length === 0
          ? 'no caller was answered'
          : `callers rejected ${Math.round(Math.max(...rejectedAfterMs))} ms after close() was called, at most`,
      ],
    };
  });
}

export const SCENARIOS: readonly ScenarioSpec[] = [
  {
    id: 'retired-refresh',
    label: 'retired refresh endpoint',
    setup:
      `Direct Login works; the refresh endpoint (the \`authUrl\` origin) answers 404 with an HTML page. ` +
      `${SCENARIO_SETTINGS.retired.ttlSeconds} s tokens, one API call every ` +
      `${SCENARIO_SETTINGS.retired.callEveryMs} ms for ${seconds(SCENARIO_SETTINGS.retired.durationMs)} ` +
      '(a virtual clock, refresh timers live)',
    expected:
      'every call gets a token GoTo accepts; one password grant per lifetime (refresh due at ¾ of ' +
      'it); each refresh token tried once, then dropped; one REFRESH_UNAVAILABLE warning',
    rules: '§1, 4.2, 4.3',
    run: retiredRefresh,
  },
  {
    id: 'changed-password',
    label: 'changed password',
    setup:
      'the password was changed by an administrator (Direct Login, no client secret: every grant ' +
      `is a password grant); one call a second for ${seconds(SCENARIO_SETTINGS.password.durationMs)}, ` +
      'then an hour without callers (a virtual clock, refresh timers live)',
    expected:
      `at most ${SCENARIO_SETTINGS.password.maxAttempts} password attempts in the hour (a cool-down ` +
      'doubling from 30 s to 30 min, started only by a caller); no attempt without a caller; ' +
      'callers see INVALID_CREDENTIALS',
    rules: '4.4, §1',
    run: changedPassword,
  },
  {
    id: 'slow-lock',
    label: 'slow GoTo under the lock',
    setup:
      `two processes (auth objects on one real Redis); every token request delayed ` +
      `${SCENARIO_SETTINGS.slow.requestDelayMs} ms; the refresh is refused (invalid_grant), so each ` +
      `hold is a refresh plus the password fallback (${2 * SCENARIO_SETTINGS.slow.requestDelayMs} ms) ` +
      `under a ${SCENARIO_SETTINGS.slow.lockTtl} ms lock; ${SCENARIO_SETTINGS.slow.lifetimes} ` +
      'lifetimes, both refresh timers firing together',
    expected:
      'one password grant per lifetime (the lock is renewed before each request of a hold); both ' +
      'processes use the same token; no failed call',
    rules: '4.10, 4.2, §5',
    run: slowLock,
  },
  {
    id: 'clock-skew',
    label: 'clock skew between processes',
    setup:
      'a host 60 s ahead minted the stored token and left; another client revokes it ' +
      '(`emulator.mintToken()`); three processes on one real Redis with clocks −60 s, 0 and +60 s ' +
      `make ${SCENARIO_SETTINGS.skew.rounds} rounds of calls to /me (invalidate on 403, retry once), one process after the other (slowest clock first) and all at once by turns; floor between grants ${SCENARIO_SETTINGS.minGrantInterval} ms`,
    expected: `at most ${SCENARIO_SETTINGS.skew.maxGrants} grants after the revocation; no failed call; all end on one token`,
    rules: '§5, 4.5, 4.8',
    run: clockSkew,
  },
  {
    id: 'close-during-refresh',
    label: 'close() during refresh',
    setup: `${SCENARIO_SETTINGS.close.callers} callers wait on a refresh that waits on the store (a get that does not answer until close() has returned, then answers); close() lands then`,
    expected:
      'waiting callers get CLOSED at once (before close() returns); no token request reaches GoTo; ' +
      'close() returns promptly (its duration is reported)',
    rules: '4.9',
    run: closeDuringRefresh,
  },
];

/** Every scenario, one after the other. */
export async function runScenarios(options: ScenarioOptions = {}): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const spec of SCENARIOS) {
    const run = await spec.run(options);
    results.push({ spec, run, ...judge(run) });
  }
  return results;
}
