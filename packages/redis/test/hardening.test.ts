import { tokenStoreKey } from '@goto-auth/core';
import { serve } from '@goto-auth/test-support';
import { describe, expect, it } from 'vitest';
import { RedisTokenStore } from '../src/index.ts';
import {
  singleRedisConfig as config,
  runScenario,
  summarize,
  tokenEvents,
} from './support/scenario.ts';
import {
  auth,
  credential,
  emulator,
  onCleanup,
  redisClient,
  redisServer,
} from './support/setup.ts';
import { Fleet, until } from './support/workers.ts';

/** An authentication host whose refresh endpoint refuses every refresh token. */
async function refusingAuthHost(): Promise<string> {
  return serve((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"error":"invalid_grant"}');
    });
  });
}

describe('hosts whose clocks disagree', () => {
  it('processes 60 s apart recover from one outside revocation with one grant', async () => {
    const server = await redisServer();
    const emu = await emulator();
    // A host whose clock is 60 s ahead mints the stored token, then leaves.
    const ahead = auth(emu, {
      store: new RedisTokenStore({ client: redisClient(server) }),
      now: () => Date.now() + 60_000,
    });
    await ahead.getToken();
    await ahead.close();

    const fleet = new Fleet(3, {
      ...config(server.url, { clockSkews: [-60_000, 0, 60_000] }),
      emulatorUrl: emu.url,
    });
    onCleanup(() => fleet.kill());
    await fleet.go();
    await until(
      () => fleet.workers.every((w) => tokenEvents(w).length >= 1),
      20_000,
      'every worker to read the stored token',
    );
    expect(emu.counters.passwordGrants).toBe(1);

    emu.reset();
    emu.mintToken(); // another client revokes the shared token
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const reports = await fleet.stop();

    const failures = [...reports.values()].reduce((sum, r) => sum + r.failures, 0);
    console.log(
      `[clock skew ±60 s] grants after the revocation: password=${emu.counters.passwordGrants} refresh=${emu.counters.refreshGrants}; /me rejected=${emu.counters.meRejected} of ${emu.counters.meCalls}; app failures=${failures}`,
    );
    expect(emu.counters.passwordGrants + emu.counters.refreshGrants).toBeLessThanOrEqual(2);
    expect(failures).toBe(0);
    // Every process ends on the same token.
    const last = [...reports.values()].map((r) => r.tokens.at(-1));
    expect(new Set(last).size).toBe(1);
  }, 90_000);
});

describe('a slow GoTo under the lock', () => {
  it('two processes make one grant per lifetime when refresh and fallback outlast the lock', async () => {
    const server = await redisServer();
    const emu = await emulator({ accessTokenTtlSeconds: 4 });
    const lifetimes = 3;
    // Each hold sends a refresh (refused) and a password grant, 900 ms each: 1.8 s in all,
    // longer than the 1.2 s lock. Only the renewal before each request keeps the lock.
    const result = await runScenario({
      emulator: emu,
      ttlSeconds: 4,
      workers: 2,
      lifetimes,
      config: config(server.url, {
        authUrl: await refusingAuthHost(),
        requestDelay: 900,
        timeout: 2_000,
        lockTtl: 1_200,
      }),
    });
    console.log(summarize('slow GoTo, short lock', result, emu));
    expect(emu.counters.passwordGrants).toBe(lifetimes);
    const [first, second] = [...result.adopted.values()];
    expect(second).toEqual(first);
    for (const report of result.reports.values()) expect(report.failures).toBe(0);
    const key = await tokenStoreKey(credential(emu));
    const stored = await new RedisTokenStore({ client: redisClient(server) }).get(key);
    expect(stored?.token.issuedAt).toBe(first?.at(-1));
  }, 90_000);
});
