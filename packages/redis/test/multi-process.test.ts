import { describe, expect, it } from 'vitest';
import { expectOneGrantPerLifetime } from './support/expectations.ts';
import {
  singleRedisConfig as config,
  runScenario,
  summarize,
  tokenEvents,
} from './support/scenario.ts';
import { emulator, redisServer } from './support/setup.ts';
import { until, type Worker } from './support/workers.ts';

const TTL_SECONDS = 4;

describe('many processes share one token through Redis', () => {
  it('8 processes, 3 token lifetimes: one password grant, one refresh per lifetime, no failure', async () => {
    const server = await redisServer();
    const emu = await emulator({ accessTokenTtlSeconds: TTL_SECONDS });
    const lifetimes = 3;
    const result = await runScenario({
      emulator: emu,
      ttlSeconds: TTL_SECONDS,
      workers: 8,
      lifetimes,
      config: config(server.url),
    });
    console.log(summarize('8 processes, Redis', result, emu));

    expectOneGrantPerLifetime(result, emu, lifetimes);
    // (A process may take the lock just after the holder released it: it finds the new token on
    // its second read and grants nothing. So locks >= grants, and grants are what must be exact.)
    expect(result.locks).toBeGreaterThanOrEqual(lifetimes);
    expect(result.reports.size).toBe(8);
  }, 90_000);

  it('a lock holder killed mid-refresh: another process refreshes once the lock expires, no deadlock, no second grant', async () => {
    const server = await redisServer();
    const emu = await emulator({ accessTokenTtlSeconds: TTL_SECONDS });
    const lockTtl = 1000;
    const timeout = 1000;
    // Before its request the holder renews the lock for the request and the write after it.
    const renewal = timeout + lockTtl;
    const lifetimes = 3;
    let victim: Worker | undefined;
    let lockedAt = 0;
    let killedAt = 0;

    const result = await runScenario({
      emulator: emu,
      ttlSeconds: TTL_SECONDS,
      workers: 5,
      lifetimes,
      config: config(server.url, { lockTtl, timeout }),
      during: async (fleet) => {
        const before = new Map(fleet.workers.map((w) => [w, w.messages.length]));
        // The next token request hangs at the emulator: its sender is mid-grant, holding the lock.
        emu.fault({ type: 'latency', ms: 5000 }, { times: 1, path: '/oauth/' });
        await until(
          () =>
            fleet.workers.some((w) =>
              w.messages.slice(before.get(w)).some((m) => m.type === 'lock'),
            ),
          10_000,
          'the refresh to take the lock',
        );
        victim = fleet.workers.find((w) =>
          w.messages.slice(before.get(w)).some((m) => m.type === 'lock'),
        );
        const lock = victim?.messages.slice(before.get(victim)).find((m) => m.type === 'lock');
        lockedAt = lock?.type === 'lock' ? lock.at : 0;
        await until(() => emu.counters.faults === 1, 5000, 'the grant to reach the emulator');
        victim?.child.kill('SIGKILL');
        killedAt = Date.now();
        await victim?.exited;
      },
    });
    console.log(
      `${summarize('holder killed', result, emu)} | lock taken at +0, holder killed at +${killedAt - lockedAt} ms, next grant at +${(result.grants[1]?.at ?? 0) - lockedAt} ms (lock renewed for ${renewal} ms)`,
    );

    expect(victim).toBeDefined();
    expect((await victim?.exited)?.signal).toBe('SIGKILL');
    expect(result.reports.size).toBe(4);
    expectOneGrantPerLifetime(result, emu, lifetimes);
    // The takeover waited for the dead holder's lock to expire, and no longer than needed.
    const takeover = (result.grants[1]?.at ?? 0) - lockedAt;
    expect(takeover).toBeGreaterThanOrEqual(renewal * 0.8);
    expect(takeover).toBeLessThan(renewal + 1500);
    // The victim adopted only the first token; it never saw the second.
    expect(victim === undefined ? -1 : tokenEvents(victim).length).toBe(1);
  }, 90_000);
});
