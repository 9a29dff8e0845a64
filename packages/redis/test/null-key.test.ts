// A null key is a configuration mistake: it gets the same typed error as any unusable key.
import { expect, it } from 'vitest';
import { RedisTokenStore, type RedisTokenStoreOptions } from '../src/index.ts';
import { redisClient } from './support/setup.ts';

it('refuses a null encryption key with INVALID_OPTIONS, not a TypeError', () => {
  const client = redisClient({ port: 1 }, { lazyConnect: true });
  const key = new Uint8Array(32);
  const nulls = [{ encryptionKey: null }, { encryptionKey: key, decryptionKeys: [null] }];
  for (const options of nulls) {
    // What a JavaScript caller (or an unchecked config value) can pass.
    const given = { client, ...options } as unknown as RedisTokenStoreOptions;
    expect(() => new RedisTokenStore(given)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  }
});

it('names the option a null key was given for, alone or inside { id, key }', () => {
  const client = redisClient({ port: 1 }, { lazyConnect: true });
  const key = new Uint8Array(32);
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ encryptionKey: null }, 'encryptionKey'],
    [{ encryptionKey: key, decryptionKeys: [key, null] }, 'decryptionKeys[1]'],
    [{ encryptionKey: { id: 'k1', key: null } }, 'encryptionKey'],
  ];
  for (const [options, option] of cases) {
    const given = { client, ...options } as unknown as RedisTokenStoreOptions;
    expect(() => new RedisTokenStore(given)).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTIONS',
        message: `RedisTokenStore: "${option}" must be a Uint8Array, a base64 string or a CryptoKey.`,
      }),
    );
  }
});
