/**
 * The store's edges: option checks, every unreachable connection state, error hygiene, the
 * lock's bookkeeping and the key ids of encrypted values. A recording client stands in for
 * ioredis where a real server cannot be put in the state under test (a sync throw, a late
 * answer, a connection that is closing); the rest runs on a real redis-server.
 */
import { type GoToToken, isGoToAuthError, normalizeTokenResponse } from '@goto-auth/core';
import { describe, expect, it, vi } from 'vitest';
import { RedisTokenStore, type RedisTokenStoreClient } from '../src/index.ts';
import { redisClient, redisServer, rejection } from './support/setup.ts';

const KEY = 'b'.repeat(64);
/** 32 bytes 0…31, whose key id is pinned below: stored values must stay readable across versions. */
const BYTES = Uint8Array.from({ length: 32 }, (_, i) => i);
const BYTES_ID = 'NgLvM_Ie';
const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

function token(name: string): GoToToken {
  return normalizeTokenResponse(
    { access_token: `access-${name}`, refresh_token: `refresh-${name}`, expires_in: '3600' },
    1_700_000_000_000,
  );
}

/**
 * A fresh copy of the store's module: its constants (connection states, key formats, script
 * hashes) are built when the file loads, and mutation testing must see a change to them.
 */
async function freshStore(): Promise<typeof RedisTokenStore> {
  vi.resetModules();
  return (await import('../src/index.ts')).RedisTokenStore;
}

interface Recording extends RedisTokenStoreClient {
  status: string | undefined;
  calls: string[];
}

/** A client that answers every command at once and records its name. */
function recording(overrides: Partial<RedisTokenStoreClient> = {}): Recording {
  const calls: string[] = [];
  const answer =
    <T>(name: string, value: T) =>
    async () => {
      calls.push(name);
      return value;
    };
  const client = {
    status: 'ready' as string | undefined,
    calls,
    hmget: answer('hmget', [null, null] as (string | null)[]),
    set: answer('set', 'OK' as const),
    del: answer('del', 1),
    evalsha: answer('evalsha', 1 as unknown),
    eval: answer('eval', 1 as unknown),
  };
  for (const [name, fn] of Object.entries(overrides)) {
    (client as Record<string, unknown>)[name] = (...args: unknown[]) => {
      calls.push(name);
      return (fn as (...a: unknown[]) => unknown)(...args);
    };
  }
  return client;
}

async function storeError(promise: Promise<unknown>): Promise<Error> {
  const error = await rejection(promise);
  expect(isGoToAuthError(error) && error.code).toBe('STORE_ERROR');
  return error;
}

describe('RedisTokenStore options', () => {
  it('refuses each unusable option with its own message', () => {
    const client = recording();
    const refused = (options: unknown, message: string) =>
      expect(() => new RedisTokenStore(options as never)).toThrow(
        expect.objectContaining({
          code: 'INVALID_OPTIONS',
          message: `RedisTokenStore: ${message}`,
        }),
      );
    refused(null, 'options are required.');
    for (const bad of [undefined, null, 'redis://localhost']) {
      refused({ client: bad }, '"client" is required: pass an ioredis Redis or Cluster.');
    }
    for (const commandTimeout of ['5', Number.NaN, Number.POSITIVE_INFINITY, 0]) {
      refused(
        { client, commandTimeout },
        '"commandTimeout" must be a positive number of milliseconds.',
      );
    }
    refused(
      { client, encryptionKey: BYTES, decryptionKeys: 'old' },
      '"decryptionKeys" must be an array.',
    );
    refused(
      { client, encryptionKey: BYTES, decryptionKeys: [new Uint8Array(3)] },
      '"decryptionKeys[0]" must be 32 bytes (AES-256); got 3.',
    );
    refused(
      { client, encryptionKey: { id: 42, key: BYTES } },
      '"encryptionKey.id" must be 1 to 64 characters of A-Z a-z 0-9 _ -.',
    );
    // A key read from a file keeps its newline: still the same key.
    expect(
      () => new RedisTokenStore({ client, encryptionKey: `${base64(BYTES)}\n` }),
    ).not.toThrow();
  });

  it('refuses a base64 key with anything before it', async () => {
    const Store = await freshStore();
    expect(() => new Store({ client: recording(), encryptionKey: `!${base64(BYTES)}` })).toThrow(
      '"encryptionKey" is not a base64 string.',
    );
  });

  it('refuses a ttl that is not a positive number of milliseconds, and sends nothing', async () => {
    const client = recording();
    const store = new RedisTokenStore({ client });
    for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '5' as never]) {
      const error = await storeError(store.set(KEY, token('t'), ttl, undefined));
      expect(error.message).toBe(
        'RedisTokenStore: the token ttl must be a positive number of milliseconds.',
      );
      expect((await storeError(store.lock(KEY, ttl))).message).toBe(
        'RedisTokenStore: the lock ttl must be a positive number of milliseconds.',
      );
    }
    expect(client.calls).toEqual([]);
    const lock = await store.lock(KEY, 1000);
    expect((await storeError(lock?.extend?.(0) ?? Promise.resolve())).message).toBe(
      'Redis extend failed: RedisTokenStore: the lock ttl must be a positive number of milliseconds.',
    );
    expect(client.calls).toEqual(['set']);
  });
});

describe('RedisTokenStore commands', () => {
  it('fails at once, naming the command, in every state where ioredis would only queue it', async () => {
    const Store = await freshStore();
    for (const status of ['reconnecting', 'close', 'end', 'disconnecting']) {
      const client = recording();
      const store = new Store({ client });
      const lock = await store.lock(KEY, 1000);
      client.status = status;
      const unreachable = `Redis is unreachable (connection ${status});`;
      const calls: Array<[string, () => Promise<unknown> | undefined]> = [
        ['get', () => store.get(KEY)],
        ['set', () => store.set(KEY, token('t'), 1000, undefined)],
        ['delete', () => store.delete(KEY)],
        ['lock', () => store.lock(KEY, 1000)],
        ['extend', () => lock?.extend?.(1000)],
        ['release', () => lock?.release()],
      ];
      for (const [operation, call] of calls) {
        expect((await storeError(Promise.resolve().then(call))).message).toBe(
          `${unreachable} ${operation} was not sent.`,
        );
      }
      expect(client.calls).toEqual(['set']);
    }
    // While connecting, or with no status at all, commands go out.
    for (const status of ['wait', 'connecting', 'ready', undefined]) {
      const client = recording();
      client.status = status;
      await new Store({ client }).delete(KEY);
      expect(client.calls).toEqual(['del']);
    }
  });

  it('keeps what it reports of a Redis failure short, and its name', async () => {
    const long = new Error(`ERR ${'x'.repeat(1000)}`);
    long.name = 'ReplyError';
    const cases: Array<[() => Promise<unknown>, string, string]> = [
      [() => Promise.reject(long), `Redis get failed: ERR ${'x'.repeat(196)}`, 'ReplyError'],
      [() => Promise.reject('a bare string'), 'Redis get failed: a bare string', 'Error'],
      [
        () => {
          throw new TypeError('thrown before any promise');
        },
        'Redis get failed: thrown before any promise',
        'TypeError',
      ],
    ];
    for (const [hmget, message, name] of cases) {
      const store = new RedisTokenStore({ client: recording({ hmget: hmget as never }) });
      const error = await storeError(store.get(KEY));
      expect(error.message).toBe(message);
      expect((error.cause as Error).name).toBe(name);
      expect((error.cause as Error).message).toBe(message.slice('Redis get failed: '.length));
    }
  });

  it('releases once, and neither releases nor extends after its release', async () => {
    const client = recording();
    const store = new RedisTokenStore({ client });
    const lock = await store.lock(KEY, 1000);
    expect(await lock?.extend?.(2000)).toBe(true);
    await lock?.release();
    await lock?.release();
    expect(await lock?.extend?.(2000)).toBe(false);
    expect(client.calls).toEqual(['set', 'evalsha', 'evalsha']);
  });

  it('falls back to EVAL only when the server does not know the script', async () => {
    const refused = recording({
      evalsha: () => Promise.reject(new Error('ERR Error running script')),
    });
    const error = await storeError(
      new RedisTokenStore({ client: refused }).set(KEY, token('t'), 1000, undefined),
    );
    expect(error.message).toBe('Redis set failed: ERR Error running script');
    expect(refused.calls).toEqual(['evalsha']);

    const forgot = recording({
      evalsha: () => Promise.reject(new Error('NOSCRIPT No matching script.')),
    });
    expect(
      await new RedisTokenStore({ client: forgot }).set(KEY, token('t'), 1000, undefined),
    ).toBe(1);
    expect(forgot.calls).toEqual(['evalsha', 'eval']);
  });

  it('lets an answer that comes after the deadline go quietly', async () => {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      let answer: (value: (string | null)[]) => void = () => {};
      const client = recording({
        hmget: () =>
          new Promise<(string | null)[]>((resolve) => {
            answer = resolve;
          }),
      });
      const store = new RedisTokenStore({ client, commandTimeout: 20 });
      const error = await storeError(store.get(KEY));
      expect(error.message).toBe('Redis did not answer get within 20 ms.');
      answer([null, null]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', listener);
    }
  });
});

describe('RedisTokenStore encryption key ids', () => {
  it('derives the id from the key bytes, alike for bytes, base64 and an extractable CryptoKey', async () => {
    const Store = await freshStore();
    const server = await redisServer();
    const raw = redisClient(server);
    const extractable = await globalThis.crypto.subtle.importKey('raw', BYTES, 'AES-GCM', true, [
      'encrypt',
      'decrypt',
    ]);
    const opaque = await globalThis.crypto.subtle.importKey('raw', BYTES, 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ]);
    const idOf = async (store: RedisTokenStore) =>
      String(await raw.hget(store.keys(KEY).token, 'value')).split('.')[1];

    const bytes = new Store({ client: redisClient(server), encryptionKey: BYTES });
    await bytes.set(KEY, token('bytes'), 60_000, undefined);
    expect(await idOf(bytes)).toBe(BYTES_ID);

    const crypto = new Store({ client: redisClient(server), encryptionKey: extractable });
    const read = await crypto.get(KEY);
    expect(read?.token.accessToken).toBe('access-bytes');
    await crypto.set(KEY, token('crypto'), 60_000, read?.version);
    expect(await idOf(crypto)).toBe(BYTES_ID);

    // A key that cannot be exported has nothing to derive an id from.
    const hidden = new Store({ client: redisClient(server), encryptionKey: opaque });
    await hidden.delete(KEY);
    await hidden.set(KEY, token('opaque'), 60_000, undefined);
    expect(await idOf(hidden)).toBe('cryptokey');
    expect((await storeError(bytes.get(KEY))).message).toContain('key id "cryptokey"');
  });

  it('says which key ids it has when the stored one is none of them', async () => {
    const server = await redisServer();
    const other = new RedisTokenStore({
      client: redisClient(server),
      encryptionKey: { id: 'other', key: BYTES },
    });
    await other.set(KEY, token('other'), 60_000, undefined);
    const store = new RedisTokenStore({
      client: redisClient(server),
      encryptionKey: { id: 'new', key: BYTES },
      decryptionKeys: [{ id: 'old', key: BYTES }],
    });
    const error = await storeError(store.get(KEY));
    expect(error.message).toContain(
      'encrypted with key id "other", and this store has "new", "old".',
    );
  });

  it('reads a value in another format as a clear STORE_ERROR', async () => {
    const server = await redisServer();
    const raw = redisClient(server);
    const store = new RedisTokenStore({ client: redisClient(server), encryptionKey: BYTES });
    await store.set(KEY, token('t'), 60_000, undefined);
    const value = String(await raw.hget(store.keys(KEY).token, 'value'));
    for (const altered of ['gae1.only', `${value}.more`]) {
      await raw.hset(store.keys(KEY).token, 'value', altered);
      expect((await storeError(store.get(KEY))).message).toBe(
        'The stored token is not in a format this version can read.',
      );
    }
  });

  it('reports a key it cannot use when it first needs it, and tries again next time', async () => {
    // Looks like a CryptoKey, but Web Crypto cannot export it.
    const fake = {
      type: 'secret',
      extractable: true,
      algorithm: { name: 'AES-GCM', length: 256 },
      usages: ['encrypt', 'decrypt'],
    };
    const client = recording();
    const store = new RedisTokenStore({ client, encryptionKey: fake as never });
    for (let i = 0; i < 2; i++) {
      const error = await storeError(store.set(KEY, token('t'), 1000, undefined));
      expect(error.message).toBe('Could not import the encryption key.');
      expect(error.cause).toBeInstanceOf(Error);
    }
    expect(client.calls).toEqual([]);
  });
});
