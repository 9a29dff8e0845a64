import { createGoToAuth, type GoToToken } from '@goto-auth/core';
import { type GoToEmulator, startEmulator } from '@goto-auth/emulator';
import type { RedisServer } from '@goto-auth/test-support/redis';
import { runWorkers } from './lib/children.ts';
import { JumpClock } from './lib/clock.ts';
import { CREDENTIALS } from './lib/goto.ts';
import type { Section } from './lib/report.ts';
import type { ClientConfig, ClientResult } from './workers/client.ts';

export interface HerdConfig {
  callers: number;
  processes: number;
  lifetimes: number;
  /** Access token lifetime in the multi-process run, whole seconds. */
  ttlSeconds: number;
}

function grants(emulator: GoToEmulator): number {
  return emulator.counters.passwordGrants + emulator.counters.refreshGrants;
}

/** Times (emulator clock) of the grants in the request log. */
function grantTimes(emulator: GoToEmulator): number[] {
  return emulator.requests
    .filter((r) => r.path.startsWith('/oauth/') && r.status === 200 && r.fault === undefined)
    .map((r) => r.at);
}

async function coldStartHerd(callers: number): Promise<{ grants: number; distinct: number }> {
  const emulator = await startEmulator();
  const auth = createGoToAuth({ ...CREDENTIALS, baseUrl: emulator.url, logger: false });
  try {
    const tokens = await Promise.all(Array.from({ length: callers }, () => auth.getToken()));
    return { grants: grants(emulator), distinct: new Set(tokens.map((t) => t.accessToken)).size };
  } finally {
    await auth.close();
    await emulator.close();
  }
}

async function expiryHerd(callers: number): Promise<{ grants: number; distinct: number }> {
  const clock = new JumpClock();
  const emulator = await startEmulator({ now: clock.now });
  const auth = createGoToAuth({
    ...CREDENTIALS,
    baseUrl: emulator.url,
    now: clock.now,
    timers: clock,
    logger: false,
  });
  try {
    const first = await auth.getToken();
    const before = grants(emulator);
    // Past expiry before the refresh timer ran (a suspended process): the callers find it.
    clock.advance(first.expiresAt - clock.now() + 1000, false);
    const tokens: GoToToken[] = await Promise.all(
      Array.from({ length: callers }, () => auth.getToken()),
    );
    // The late timer now fires too, and must not add a grant.
    clock.fireDue();
    await auth.getToken();
    const distinct = new Set(tokens.map((t) => t.accessToken));
    if (distinct.has(first.accessToken)) throw new Error('an expired token was served');
    return { grants: grants(emulator) - before, distinct: distinct.size };
  } finally {
    await auth.close();
    await emulator.close();
    clock.dispose();
  }
}

/**
 * Figure 5: the thundering herd. 10,000 concurrent `getToken()` at cold start and at expiry in
 * one process; then N processes sharing one Redis across several token lifetimes.
 */
export async function herd(config: HerdConfig, redis: RedisServer): Promise<Section> {
  const cold = await coldStartHerd(config.callers);
  const expiry = await expiryHerd(config.callers);

  const ttlMs = config.ttlSeconds * 1000;
  // The manager refreshes a quarter of the lifetime early (the margin's cap for short tokens).
  const period = ttlMs - Math.min(300_000, ttlMs / 4);
  const durationMs = Math.round((config.lifetimes - 0.5) * period);
  const emulator = await startEmulator({ accessTokenTtlSeconds: config.ttlSeconds });
  const keyPrefix = `bench-herd-${Date.now()}:`;
  let results: ClientResult[];
  try {
    results = await runWorkers<ClientResult>({
      name: 'client',
      count: config.processes,
      timeoutMs: durationMs + 120_000,
      config: (): ClientConfig => ({
        lib: 'goto-auth',
        emulatorUrl: emulator.url,
        redisPort: redis.port,
        keyPrefix,
        durationMs,
        burst: 1000,
        mode: 'token',
        intervalMs: 20,
      }),
    });
  } finally {
    await emulator.close();
  }
  const times = grantTimes(emulator).sort((a, b) => a - b);
  const first = times[0] ?? 0;
  const perLifetime = Array.from({ length: config.lifetimes }, () => 0);
  let outside = 0;
  for (const at of times) {
    const index = Math.round((at - first) / period);
    if (index < config.lifetimes) perLifetime[index] = (perLifetime[index] ?? 0) + 1;
    else outside++;
  }
  const failures = results.reduce((n, r) => n + (r.calls - r.ok), 0);
  const multiMet =
    perLifetime.every((n) => n === 1) && outside === 0 && failures === 0 && times.length > 0;
  const distinct = Math.max(...results.map((r) => r.tokens));

  return {
    id: 5,
    title: 'Herd: concurrent getToken() and many processes',
    how:
      `${config.callers.toLocaleString('en-US')} concurrent \`getToken()\` in one process ` +
      'against the emulator: at cold start, and at expiry (a jumpable clock moved past expiry ' +
      `before the refresh timer ran, as after a suspend). Then ${config.processes} child ` +
      'processes (tsx), each with its own `createGoToAuth` and `RedisTokenStore` on one ' +
      `redis-server, the emulator in the parent with a ${config.ttlSeconds} s token: all start ` +
      'together with a burst of 1,000 concurrent `getToken()` each, then one call every 20 ms, ' +
      `for ${config.lifetimes} token lifetime${config.lifetimes === 1 ? '' : 's'} (${(durationMs / 1000).toFixed(2)} s: a token is ` +
      `refreshed every ${(period / 1000).toFixed(2)} s). Grants counted by the emulator.`,
    peers: [],
    rows: [
      {
        figure: `grants for ${config.callers.toLocaleString('en-US')} concurrent getToken(), cold start`,
        ours: `${cold.grants} (${cold.distinct} distinct token)`,
        target: '1',
        met: cold.grants === 1 && cold.distinct === 1,
        kind: 'correctness',
      },
      {
        figure: `grants for ${config.callers.toLocaleString('en-US')} concurrent getToken(), at expiry`,
        ours: `${expiry.grants} (${expiry.distinct} distinct token)`,
        target: '1',
        met: expiry.grants === 1 && expiry.distinct === 1,
        kind: 'correctness',
      },
      {
        figure: `grants per lifetime, ${config.processes} processes on one Redis, ${config.lifetimes} lifetime${config.lifetimes === 1 ? '' : 's'}`,
        ours: `${perLifetime.join(', ')} (total ${times.length})`,
        target: '1 each',
        met: multiMet,
        kind: 'correctness',
      },
    ],
    notes: [
      `Multi-process run: ${results.reduce((n, r) => n + r.calls, 0).toLocaleString('en-US')} ` +
        `timed getToken() calls plus ${(config.processes * 1000).toLocaleString('en-US')} in the ` +
        `bursts, ${failures} failed; at most ${distinct} distinct tokens seen by one process ` +
        `(one per lifetime)${outside > 0 ? `; ${outside} grants fell outside the lifetimes` : ''}.`,
    ],
  };
}
