import { tokenStoreKey } from '@goto-auth/core';
import { describe, expect, it, vi } from 'vitest';
import { RedisTokenStore } from '../src/index.ts';
import { auth, credential, emulator, redisClient, redisServer } from './support/setup.ts';
import { until } from './support/workers.ts';

describe('a lock holder that stalls past its lock ttl', () => {
  it('cannot overwrite the newer token, nor free the next holder’s lock', async () => {
    const server = await redisServer();
    const raw = redisClient(server);
    const emu = await emulator();
    const key = await tokenStoreKey(credential(emu));

    // Process A: its grant answer arrives, then A stalls (a GC pause, a frozen VM) before it
    // can store it.
    let stalled = false;
    let resume!: () => void;
    const gate = new Promise<void>((resolve) => {
      resume = resolve;
    });
    const storeA = new RedisTokenStore({ client: redisClient(server) });
    const setA = vi.spyOn(storeA, 'set');
    const authA = auth(emu, {
      store: storeA,
      lockTtl: 200,
      minGrantInterval: 0,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        stalled = true;
        await gate;
        return response;
      },
    });
    const tokenA = authA.getToken();
    await until(() => stalled, 5000, 'A to receive its token');
    // A stalls past its lock. (Its renewal covers the request timeout, 10 s: the lock's expiry
    // is brought forward here rather than waited out.)
    await raw.pexpire(storeA.keys(key).lock, 1);

    // Process B finds the lock expired, mints a newer token and stores it.
    const storeB = new RedisTokenStore({ client: redisClient(server) });
    const tokenB = await auth(emu, {
      store: storeB,
      lockTtl: 5000,
      lockPollInterval: 20,
    }).getToken();
    // Process C holds the lock now (a later refresh), when A wakes up.
    const storeC = new RedisTokenStore({ client: redisClient(server) });
    const lockC = await storeC.lock(key, 60_000);
    expect(lockC).toBeDefined();
    const lockValue = await raw.get(storeC.keys(key).lock);

    resume();
    // B's grant revoked A's token: A's write is refused, and A takes B's token instead.
    const fromA = await tokenA;
    expect(setA).toHaveBeenCalledTimes(1);
    await expect(setA.mock.results[0]?.value).resolves.toBeUndefined();
    expect(fromA.accessToken).toBe(tokenB.accessToken);
    expect((await storeB.get(key))?.token.accessToken).toBe(tokenB.accessToken);
    expect(await raw.get(storeC.keys(key).lock)).toBe(lockValue);
    await lockC?.release();
    expect(emu.counters.passwordGrants).toBe(2);
    const me = await fetch(`${emu.url}/admin/rest/v1/me`, {
      headers: { authorization: `Bearer ${fromA.accessToken}` },
    });
    expect(me.status).toBe(200);
  });
});
