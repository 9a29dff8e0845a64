import { tokenStoreKey } from '@goto-auth/core';
import { describe, expect, it } from 'vitest';
import { RedisTokenStore } from '../src/index.ts';
import { expectOneGrantPerLifetime } from './support/expectations.ts';
import { runScenario, summarize } from './support/scenario.ts';
import { clusterClient, credential, emulator, redisCluster } from './support/setup.ts';

const TTL_SECONDS = 4;

describe('Redis Cluster (3 masters)', () => {
  it('6 processes on an ioredis Cluster, tokens encrypted, 3 lifetimes: one grant per lifetime', async () => {
    const cluster = await redisCluster();
    const emu = await emulator({ accessTokenTtlSeconds: TTL_SECONDS });
    const encryptionKey = Buffer.from(
      globalThis.crypto.getRandomValues(new Uint8Array(32)),
    ).toString('base64');
    const lifetimes = 3;
    const result = await runScenario({
      emulator: emu,
      ttlSeconds: TTL_SECONDS,
      workers: 6,
      lifetimes,
      config: {
        redis: { mode: 'cluster', nodes: cluster.startupNodes },
        refreshMargin: 1000,
        lockTtl: 2000,
        lockPollInterval: 50,
        callInterval: 20,
        encryptionKey,
      },
    });
    console.log(summarize('6 processes, Redis Cluster', result, emu));
    expectOneGrantPerLifetime(result, emu, lifetimes);
    expect(result.locks).toBeGreaterThanOrEqual(lifetimes);

    // Both keys of the credential hash to one slot (the {…} tag), so the scripts may touch them.
    const client = clusterClient(cluster);
    const store = new RedisTokenStore({ client, encryptionKey });
    const key = await tokenStoreKey(credential(emu));
    const { token, lock } = store.keys(key);
    expect(await client.cluster('KEYSLOT', token)).toBe(await client.cluster('KEYSLOT', lock));
    expect(await client.hget(token, 'value')).toMatch(/^gae1\./);
    const stored = await store.get(key);
    expect(stored?.token.issuedAt).toBe(result.adopted.get(0)?.at(-1));
  }, 120_000);
});
