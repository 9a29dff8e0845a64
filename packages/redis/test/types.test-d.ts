import type { GoToAuthOptions, TokenStore } from '@goto-auth/core';
import { Cluster, Redis } from 'ioredis';
import { describe, expectTypeOf, it } from 'vitest';
import {
  RedisTokenStore,
  type RedisTokenStoreClient,
  type RedisTokenStoreOptions,
} from '../src/index.ts';

describe('public types', () => {
  it('accepts ioredis Redis and Cluster clients, RESP2 and RESP3', () => {
    expectTypeOf<Redis>().toExtend<RedisTokenStoreClient>();
    expectTypeOf<Cluster>().toExtend<RedisTokenStoreClient>();
    expectTypeOf<Redis<'resp3'>>().toExtend<RedisTokenStoreClient>();
    expectTypeOf<Cluster<'resp3'>>().toExtend<RedisTokenStoreClient>();
  });

  it('is a core TokenStore', () => {
    expectTypeOf<RedisTokenStore>().toExtend<TokenStore>();
    expectTypeOf<RedisTokenStore>().toExtend<NonNullable<GoToAuthOptions['store']>>();
  });

  it('takes the key as bytes, base64 or a Web Crypto key', () => {
    expectTypeOf<Uint8Array>().toExtend<NonNullable<RedisTokenStoreOptions['encryptionKey']>>();
    expectTypeOf<string>().toExtend<NonNullable<RedisTokenStoreOptions['encryptionKey']>>();
    expectTypeOf<CryptoKey>().toExtend<NonNullable<RedisTokenStoreOptions['encryptionKey']>>();
    expectTypeOf<{ id: string; key: CryptoKey }>().toExtend<
      NonNullable<RedisTokenStoreOptions['encryptionKey']>
    >();
    expectTypeOf<number>().not.toExtend<NonNullable<RedisTokenStoreOptions['encryptionKey']>>();
  });
});
