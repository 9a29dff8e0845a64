import {
  type GoToAuthEvent,
  type GoToToken,
  isGoToAuthError,
  tokenStoreKey,
} from '@goto-auth/core';
import { describe, expect, it } from 'vitest';
import { RedisTokenStore } from '../src/index.ts';
import {
  auth,
  credential,
  emulator,
  redisClient,
  redisServer,
  rejection,
} from './support/setup.ts';
import { until } from './support/workers.ts';

/** Calls getToken() until it resolves; the manager cools down between failed refreshes. */
async function eventually(get: () => Promise<GoToToken>, timeoutMs: number): Promise<GoToToken> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await get();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe('Redis stops and comes back', () => {
  it("'fail' (default): the valid token keeps serving, refresh fails with STORE_ERROR, no grant, recovery after restart", async () => {
    const server = await redisServer();
    const client = redisClient(server);
    // Refresh at 3 s, expiry at 4 s: a second to observe the old token still serving.
    const emu = await emulator({ accessTokenTtlSeconds: 4 });
    const store = new RedisTokenStore({ client, commandTimeout: 300 });
    const events: GoToAuthEvent[] = [];
    const goto = auth(emu, {
      store,
      refreshMargin: 1000,
      retry: { baseDelay: 100, maxDelay: 300, limit: 2 },
      onEvent: (event) => events.push(event),
    });
    const first = await goto.getToken();

    await server.stop();
    await until(() => client.status === 'reconnecting', 5000, 'ioredis to notice');
    expect(await goto.getToken()).toBe(first);

    // The scheduled refresh cannot reach the store.
    await until(() => events.some((e) => e.type === 'refresh-failed'), 5000, 'the refresh');
    const failed = events.find((e) => e.type === 'refresh-failed');
    expect(failed).toMatchObject({ code: 'STORE_ERROR' });
    expect(failed?.type === 'refresh-failed' && failed.message).toContain(
      'Redis is unreachable (connection reconnecting)',
    );
    expect(Date.now()).toBeLessThan(first.expiresAt);
    expect(await goto.getToken()).toBe(first); // still valid: still served

    await until(() => Date.now() >= first.expiresAt, 5000, 'the token to expire');
    const error = await rejection(goto.getToken());
    expect(isGoToAuthError(error) && error.code).toBe('STORE_ERROR');
    expect(error.message).toContain('Redis');
    expect(goto.status()).toMatchObject({ state: 'expired', lastError: { code: 'STORE_ERROR' } });
    // Minting without the lock could revoke another process's token: nothing was minted.
    expect(emu.counters.passwordGrants).toBe(1);
    expect(emu.counters.refreshGrants).toBe(0);

    await server.start();
    const next = await eventually(() => goto.getToken(), 15_000);
    expect(next.accessToken).not.toBe(first.accessToken);
    expect(emu.counters).toMatchObject({ passwordGrants: 1, refreshGrants: 1 });
    const stored = await store.get(await tokenStoreKey(credential(emu)));
    expect(stored?.token.accessToken).toBe(next.accessToken);
  });

  it("'local': refreshes without the store while Redis is down, and warns", async () => {
    const server = await redisServer();
    const client = redisClient(server);
    const emu = await emulator({ accessTokenTtlSeconds: 2 });
    const warnings: string[] = [];
    const goto = auth(emu, {
      store: new RedisTokenStore({ client, commandTimeout: 300 }),
      refreshMargin: 500,
      onStoreError: 'local',
      onEvent: (event) => {
        if (event.type === 'warning') warnings.push(`${event.code}: ${event.message}`);
      },
    });
    const first = await goto.getToken();
    await server.stop();
    await until(() => client.status === 'reconnecting', 5000, 'ioredis to notice');

    await until(() => Date.now() >= first.expiresAt, 5000, 'the token to expire');
    const next = await goto.getToken();
    expect(next.accessToken).not.toBe(first.accessToken);
    expect(emu.counters.refreshGrants).toBe(1);
    expect(warnings.some((w) => w.startsWith('STORE_UNAVAILABLE: The token store failed'))).toBe(
      true,
    );
  });
});
