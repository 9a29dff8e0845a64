// A null key is a configuration mistake: it gets the same typed error as any unusable key.
import { expect, it } from 'vitest';
import { RedisTokenStore } from '../src/index.ts';
import { redisClient } from './support/setup.ts';

it('refuses a null encryption key with INVALID_OPTIONS, not a TypeError', () => {
  const client = redisClient({ port: 1 }, { lazyConnect: true });
  const key = new Uint8Array(32);
  for (const options of [{ encryptionKey: null }, { encryptionKey: key, decryptionKeys: [null] }]) {
    expect(() => new RedisTokenStore({ client, ...(options as never) })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  }
});
