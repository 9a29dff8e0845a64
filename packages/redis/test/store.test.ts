import { inspect } from 'node:util';
import { type GoToToken, isGoToAuthError, normalizeTokenResponse } from '@goto-auth/core';
import { startRedis } from '@goto-auth/test-support/redis';
import { describe, expect, it } from 'vitest';
import { RedisTokenStore, type RedisTokenStoreClient } from '../src/index.ts';
import { monitorCommands } from './support/monitor.ts';
import { onCleanup, redisClient, redisServer, rejection } from './support/setup.ts';
import { until } from './support/workers.ts';

const KEY = 'a'.repeat(64);

function token(issuedAt: number, name = String(issuedAt)): GoToToken {
  return normalizeTokenResponse(
    {
      access_token: `access-${name}`,
      refresh_token: `refresh-${name}`,
      expires_in: '3600',
      organizer_key: '8439885694023999999',
      account_key: '9999982253621659654',
      account_type: '',
      email: '',
      platform: 'GLOBAL',
      version: '2',
    },
    issuedAt,
  );
}

describe('RedisTokenStore on a real redis-server', () => {
  it('stores the token as a hash of version and value under <prefix>{<key>}:token, with the ttl', async () => {
    const server = await redisServer();
    const raw = redisClient(server);
    const store = new RedisTokenStore({ client: redisClient(server) });
    const stored = token(1_700_000_000_000);

    expect(await store.get(KEY)).toBeUndefined();
    const version = await store.set(KEY, stored, 60_000, undefined);
    expect(version).toBeGreaterThan(0);

    expect(store.keys(KEY)).toEqual({
      token: `goto-auth:{${KEY}}:token`,
      lock: `goto-auth:{${KEY}}:lock`,
    });
    const hash = await raw.hgetall(`goto-auth:{${KEY}}:token`);
    expect(hash.version).toBe(String(version));
    expect(hash.issuedAt).toBeUndefined();
    expect(JSON.parse(hash.value ?? '')).toMatchObject({ accessToken: 'access-1700000000000' });
    const ttl = await raw.pttl(`goto-auth:{${KEY}}:token`);
    expect(ttl).toBeGreaterThan(59_000);
    expect(ttl).toBeLessThanOrEqual(60_000);

    const read = await store.get(KEY);
    expect(read?.token).toEqual(stored);
    expect(read?.version).toBe(version);
    expect(read?.token.accessToken).toBe('access-1700000000000');
    expect(read?.token.refreshToken).toBe('refresh-1700000000000');
  });

  it("writes only over the version read (compare-and-set), whatever the tokens' clocks say", async () => {
    const server = await redisServer();
    const store = new RedisTokenStore({ client: redisClient(server) });

    const first = await store.set(KEY, token(2000), 60_000, undefined);
    expect(first).toBeGreaterThan(0);
    // Nothing stored was expected, but something is: refused.
    expect(await store.set(KEY, token(3000), 60_000, undefined)).toBeUndefined();
    // A token stamped earlier by a host whose clock is behind is still written over the version read.
    const second = await store.set(KEY, token(1000, 'earlier-clock'), 60_000, first);
    expect(second).toBe((first ?? 0) + 1);
    expect((await store.get(KEY))?.token.accessToken).toBe('access-earlier-clock');
    // A writer that read the first version lost the race: refused.
    expect(await store.set(KEY, token(9000), 60_000, first)).toBeUndefined();
    expect((await store.get(KEY))?.version).toBe(second);
  });

  it('never reuses a version after the entry expired and came back', async () => {
    const server = await redisServer();
    const raw = redisClient(server);
    const store = new RedisTokenStore({ client: redisClient(server) });
    const first = await store.set(KEY, token(1000), 60_000, undefined);
    await raw.del(store.keys(KEY).token);
    const again = await store.set(KEY, token(1000), 60_000, undefined);
    expect(again).toBeGreaterThan(first ?? 0);
  });

  it('reads and replaces an entry written before versions existed as version 0', async () => {
    const server = await redisServer();
    const raw = redisClient(server);
    const store = new RedisTokenStore({ client: redisClient(server) });
    const { serializeToken } = await import('@goto-auth/core');
    await raw.hset(store.keys(KEY).token, 'issuedAt', '1000', 'value', serializeToken(token(1000)));
    const read = await store.get(KEY);
    expect(read?.version).toBe(0);
    expect(await store.set(KEY, token(2000), 60_000, 0)).toBeGreaterThan(0);
  });

  it('extends its own lock only (compare-and-extend)', async () => {
    const server = await redisServer();
    const raw = redisClient(server);
    const store = new RedisTokenStore({ client: redisClient(server) });
    const lockKey = store.keys(KEY).lock;
    const held = await store.lock(KEY, 1_000);
    expect(await held?.extend?.(60_000)).toBe(true);
    expect(await raw.pttl(lockKey)).toBeGreaterThan(59_000);
    await raw.set(lockKey, 'someone-else', 'PX', 60_000);
    expect(await held?.extend?.(90_000)).toBe(false);
    expect(await raw.pttl(lockKey)).toBeLessThanOrEqual(60_000);
    await held?.release();
    expect(await raw.get(lockKey)).toBe('someone-else');
    expect(await held?.extend?.(1_000)).toBe(false);
  });

  it('keeps keys apart by prefix and deletes only its own token', async () => {
    const server = await redisServer();
    const client = redisClient(server);
    const a = new RedisTokenStore({ client, keyPrefix: 'app-a:' });
    const b = new RedisTokenStore({ client, keyPrefix: 'app-b:' });
    await a.set(KEY, token(1000, 'a'), 60_000, undefined);
    await b.set(KEY, token(1000, 'b'), 60_000, undefined);
    expect((await a.get(KEY))?.token.accessToken).toBe('access-a');
    await a.delete(KEY);
    expect(await a.get(KEY)).toBeUndefined();
    expect((await b.get(KEY))?.token.accessToken).toBe('access-b');
  });

  it('gives the lock to one holder at a time, with a ttl, released by compare-and-delete', async () => {
    const server = await redisServer();
    const raw = redisClient(server);
    const one = new RedisTokenStore({ client: redisClient(server) });
    const two = new RedisTokenStore({ client: redisClient(server) });
    const lockKey = one.keys(KEY).lock;

    const first = await one.lock(KEY, 30_000);
    expect(first).toBeDefined();
    expect(await two.lock(KEY, 30_000)).toBeUndefined();
    expect(await raw.pttl(lockKey)).toBeGreaterThan(29_000);

    // The first holder's lock runs out (as if it stalled past its ttl); another takes it.
    await raw.del(lockKey);
    const second = await two.lock(KEY, 30_000);
    expect(second).toBeDefined();
    const secondValue = await raw.get(lockKey);

    await first?.release(); // late: must not free the second holder's lock
    expect(await raw.get(lockKey)).toBe(secondValue);
    expect(await one.lock(KEY, 30_000)).toBeUndefined();

    await second?.release();
    expect(await raw.exists(lockKey)).toBe(0);
    const third = await one.lock(KEY, 30_000);
    expect(third).toBeDefined();
    await third?.release();
  });

  it('reloads its scripts after the server forgot them (SCRIPT FLUSH, restart, new Cluster node)', async () => {
    const server = await redisServer();
    const raw = redisClient(server);
    const store = new RedisTokenStore({ client: redisClient(server) });
    const version = await store.set(KEY, token(1000), 60_000, undefined);
    await raw.script('FLUSH');
    expect(await store.set(KEY, token(2000), 60_000, version)).toBeGreaterThan(0);
    const lock = await store.lock(KEY, 30_000);
    await raw.script('FLUSH');
    await lock?.release();
    expect(await raw.exists(store.keys(KEY).lock)).toBe(0);
  });

  it('fails with a STORE_ERROR that carries no token when Redis refuses a write', async () => {
    const server = await redisServer();
    const raw = redisClient(server);
    const store = new RedisTokenStore({ client: redisClient(server) });
    // A string where the hash belongs: the script's HGET fails with WRONGTYPE.
    await raw.set(store.keys(KEY).token, 'not a hash');
    const secret = token(1000, 'do-not-leak');

    const error = await rejection(store.set(KEY, secret, 60_000, undefined));
    expect(isGoToAuthError(error) && error.code).toBe('STORE_ERROR');
    expect(error.message).toMatch(/Redis set failed: .*WRONGTYPE/);
    for (const text of [
      error.message,
      inspect(error, { depth: 10, showHidden: true }),
      JSON.stringify(error),
      String((error.cause as Error).stack),
    ]) {
      expect(text).not.toContain('do-not-leak');
    }
  });

  it('reads a corrupt value as a STORE_ERROR, not a crash', async () => {
    const server = await redisServer();
    const raw = redisClient(server);
    const store = new RedisTokenStore({ client: redisClient(server) });
    await raw.hset(store.keys(KEY).token, 'issuedAt', '1', 'value', '{"nope":true}');
    const error = await rejection(store.get(KEY));
    expect(isGoToAuthError(error) && error.code).toBe('STORE_ERROR');
    expect(error.message).toContain('no access token');
  });

  it('fails at once while the client reconnects to a Redis that went away', async () => {
    const server = await startRedis();
    onCleanup(() => server.close());
    const client = redisClient(server);
    const store = new RedisTokenStore({ client, commandTimeout: 5000 });
    await store.set(KEY, token(1000), 60_000, undefined);
    await server.stop();
    await until(() => client.status === 'reconnecting', 5000, 'ioredis to notice');

    for (const call of [
      store.get(KEY),
      store.set(KEY, token(2000), 1000, undefined),
      store.lock(KEY, 1000),
    ]) {
      const started = Date.now();
      const error = await rejection(call);
      expect(Date.now() - started).toBeLessThan(250);
      expect(isGoToAuthError(error) && error.code).toBe('STORE_ERROR');
      expect(error.message).toContain('Redis is unreachable (connection reconnecting)');
    }
  });

  it('bounds every command by commandTimeout, even when ioredis would queue it', async () => {
    const server = await startRedis();
    await server.close(); // a port where nothing listens
    const client = redisClient(server, { lazyConnect: true });
    const store = new RedisTokenStore({ client, commandTimeout: 150 });
    const started = Date.now();
    const error = await rejection(store.get(KEY));
    const elapsed = Date.now() - started;
    expect(isGoToAuthError(error) && error.code).toBe('STORE_ERROR');
    expect(error.message).toMatch(/did not answer get within 150 ms|unreachable/);
    expect(elapsed).toBeLessThan(1000);
  });

  it('frees a lock whose SET answered only after the timeout', async () => {
    const server = await redisServer();
    const raw = redisClient(server);
    const monitor = await monitorCommands(server.port);
    onCleanup(() => monitor.close());
    const slow = new RedisTokenStore({ client: redisClient(server), commandTimeout: 100 });
    const other = new RedisTokenStore({ client: redisClient(server) });
    await slow.get(KEY); // connected
    const lockKey = slow.keys(KEY).lock;

    await raw.call('CLIENT', 'PAUSE', '400', 'WRITE');
    const error = await rejection(slow.lock(KEY, 60_000));
    expect(isGoToAuthError(error) && error.code).toBe('STORE_ERROR');
    expect(error.message).toBe('Redis did not answer lock within 100 ms.');

    // After the pause the queued SET runs and takes a 60 s lock; the store must free it.
    await until(
      () => monitor.commands.some((c) => c[0] === 'evalsha' || c[0] === 'eval'),
      5000,
      'the late release',
    );
    expect(monitor.commands.some((c) => c[0] === 'set' && c[1] === lockKey)).toBe(true);
    const taken = await other.lock(KEY, 1000);
    expect(taken).toBeDefined();
    await taken?.release();
  });

  it('test helpers fail, not skip, when redis-server is missing', async () => {
    await expect(startRedis({ bin: '/nonexistent/redis-server' })).rejects.toThrow(
      'Install it with: sudo apt-get install -y redis-server',
    );
  });

  it('rejects unusable options up front', () => {
    const client = {
      hmget() {},
      set() {},
      del() {},
      evalsha() {},
    } as unknown as RedisTokenStoreClient;
    const fake = { ...client, eval() {} } as unknown as RedisTokenStoreClient;
    expect(() => new RedisTokenStore({ client })).toThrow(/has no eval\(\)/);
    expect(() => new RedisTokenStore(undefined as never)).toThrow(/options are required/);
    expect(() => new RedisTokenStore({ client: fake, commandTimeout: 0 })).toThrow(
      /commandTimeout/,
    );
    expect(() => new RedisTokenStore({ client: fake, keyPrefix: 1 as never })).toThrow(/keyPrefix/);
    expect(() => new RedisTokenStore({ client: fake, decryptionKeys: [] })).toThrow(
      /decryptionKeys" needs an "encryptionKey/,
    );
    expect(() => new RedisTokenStore({ client: fake, commandTimeout: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });
});
