import { inspect } from 'node:util';
import { isGoToAuthError, tokenStoreKey } from '@goto-auth/core';
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

const keyBytes = () => globalThis.crypto.getRandomValues(new Uint8Array(32));
const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

describe('encryption at rest', () => {
  it('stores neither token in clear; another store with the same key reads it; a wrong key fails clearly', async () => {
    const server = await redisServer();
    const raw = redisClient(server);
    const emu = await emulator();
    const key = keyBytes();
    const writer = new RedisTokenStore({ client: redisClient(server), encryptionKey: key });
    const token = await auth(emu, { store: writer }).getToken();
    const storeKey = await tokenStoreKey(credential(emu));

    const hash = await raw.hgetall(writer.keys(storeKey).token);
    expect(hash.value).toMatch(/^gae1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(hash.value).not.toContain(token.accessToken);
    expect(hash.value).not.toContain(String(token.refreshToken));
    expect(Number(hash.version)).toBeGreaterThan(0);

    // Another process's store: its own connection, the same key given as base64.
    const reader = new RedisTokenStore({ client: redisClient(server), encryptionKey: base64(key) });
    expect((await reader.get(storeKey))?.token.accessToken).toBe(token.accessToken);
    const second = await auth(emu, { store: reader }).getToken();
    expect(second.accessToken).toBe(token.accessToken);
    expect(emu.counters.passwordGrants).toBe(1);

    expect(inspect(reader, { showHidden: true, depth: 10 })).not.toContain(base64(key));

    const wrong = new RedisTokenStore({ client: redisClient(server), encryptionKey: keyBytes() });
    const error = await rejection(wrong.get(storeKey));
    expect(isGoToAuthError(error) && error.code).toBe('STORE_ERROR');
    expect(error.message).toMatch(
      /^The encryption key is wrong: the stored token was encrypted with key id "/,
    );

    // Through the manager: no token, a clear error, and no grant that would revoke the others.
    const failing = auth(emu, { store: wrong, retry: false });
    const managerError = await rejection(failing.getToken());
    expect(isGoToAuthError(managerError) && managerError.code).toBe('STORE_ERROR');
    expect(managerError.message).toContain('The encryption key is wrong');
    expect(emu.counters.passwordGrants).toBe(1);

    const clear = new RedisTokenStore({ client: redisClient(server) });
    const noKey = await rejection(clear.get(storeKey));
    expect(isGoToAuthError(noKey) && noKey.code).toBe('STORE_ERROR');
    expect(noKey.message).toContain('encrypted, but this RedisTokenStore has no encryptionKey');
  });

  it('uses a fresh IV for every write and binds the value to its Redis key', async () => {
    const server = await redisServer();
    const raw = redisClient(server);
    const emu = await emulator();
    const key = keyBytes();
    const store = new RedisTokenStore({ client: redisClient(server), encryptionKey: key });
    const token = await auth(emu, { store }).getToken();
    const storeKey = await tokenStoreKey(credential(emu));
    const { token: name } = store.keys(storeKey);
    const first = await raw.hget(name, 'value');
    await store.set(storeKey, token, 60_000, (await store.get(storeKey))?.version);
    const second = await raw.hget(name, 'value');
    expect(second).not.toBe(first);
    expect(second?.split('.')[2]).not.toBe(first?.split('.')[2]);

    // The same ciphertext under another credential's key does not decrypt.
    const otherKey = 'b'.repeat(64);
    await raw.hset(store.keys(otherKey).token, 'issuedAt', '1', 'value', String(second));
    const moved = await rejection(store.get(otherKey));
    expect(moved.message).toMatch(/encryption key is wrong, or the stored value was altered/);

    // One flipped character of ciphertext: authentication fails, with the same clear message.
    const parts = String(second).split('.');
    const ct = parts[3] ?? '';
    parts[3] = (ct[0] === 'A' ? 'B' : 'A') + ct.slice(1);
    await raw.hset(name, 'value', parts.join('.'));
    const altered = await rejection(store.get(storeKey));
    expect(isGoToAuthError(altered) && altered.code).toBe('STORE_ERROR');
    expect(altered.message).toMatch(/encryption key is wrong, or the stored value was altered/);
  });

  it('accepts a CryptoKey with an id, and rotates keys with decryptionKeys', async () => {
    const server = await redisServer();
    const emu = await emulator();
    const cryptoKey = await globalThis.crypto.subtle.generateKey(
      { name: 'AES-GCM', length: 256 },
      false,
      ['encrypt', 'decrypt'],
    );
    const old = new RedisTokenStore({
      client: redisClient(server),
      encryptionKey: { id: '2025', key: cryptoKey },
    });
    const token = await auth(emu, { store: old }).getToken();
    const storeKey = await tokenStoreKey(credential(emu));

    const next = keyBytes();
    const rotated = new RedisTokenStore({
      client: redisClient(server),
      encryptionKey: { id: '2026', key: next },
      decryptionKeys: [{ id: '2025', key: cryptoKey }],
    });
    expect((await rotated.get(storeKey))?.token.accessToken).toBe(token.accessToken);
    await rotated.set(storeKey, token, 60_000, (await rotated.get(storeKey))?.version);
    const newOnly = new RedisTokenStore({
      client: redisClient(server),
      encryptionKey: { id: '2026', key: base64(next) },
    });
    expect((await newOnly.get(storeKey))?.token.accessToken).toBe(token.accessToken);
    const oldOnly = await rejection(old.get(storeKey));
    expect(oldOnly.message).toContain('encrypted with key id "2026", and this store has "2025"');
  });

  it('treats a token stored in clear as absent, so the next refresh stores it encrypted', async () => {
    const server = await redisServer();
    const raw = redisClient(server);
    const emu = await emulator();
    const storeKey = await tokenStoreKey(credential(emu));
    const clear = new RedisTokenStore({ client: redisClient(server) });
    await auth(emu, { store: clear }).getToken();
    const encrypted = new RedisTokenStore({
      client: redisClient(server),
      encryptionKey: keyBytes(),
    });
    expect(await encrypted.get(storeKey)).toBeUndefined();
    await auth(emu, { store: encrypted }).getToken();
    expect(await raw.hget(encrypted.keys(storeKey).token, 'value')).toMatch(/^gae1\./);
  });

  it('refuses malformed keys when the store is built', () => {
    const client = redisClient({ port: 1 }, { lazyConnect: true });
    const make = (encryptionKey: never) => () => new RedisTokenStore({ client, encryptionKey });
    expect(make(new Uint8Array(31) as never)).toThrow(
      '"encryptionKey" must be 32 bytes (AES-256); got 31.',
    );
    expect(make(base64(new Uint8Array(16)) as never)).toThrow('must be 32 bytes');
    expect(make('not base64!' as never)).toThrow('"encryptionKey" is not a base64 string.');
    expect(make({ id: 'a.b', key: keyBytes() } as never)).toThrow('"encryptionKey.id" must be');
    expect(make(42 as never)).toThrow('must be a Uint8Array, a base64 string or a CryptoKey');
    expect(make(new Uint8Array(31) as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });

  it('refuses a CryptoKey that is not AES-256-GCM for encrypt and decrypt', async () => {
    const client = redisClient({ port: 1 }, { lazyConnect: true });
    const cbc = await globalThis.crypto.subtle.generateKey(
      { name: 'AES-CBC', length: 256 },
      false,
      ['encrypt', 'decrypt'],
    );
    const short = await globalThis.crypto.subtle.generateKey(
      { name: 'AES-GCM', length: 128 },
      false,
      ['encrypt', 'decrypt'],
    );
    const encryptOnly = await globalThis.crypto.subtle.generateKey(
      { name: 'AES-GCM', length: 256 },
      false,
      ['encrypt'],
    );
    for (const key of [cbc, short]) {
      expect(() => new RedisTokenStore({ client, encryptionKey: key })).toThrow(
        'must be an AES-GCM CryptoKey of length 256',
      );
    }
    expect(() => new RedisTokenStore({ client, encryptionKey: encryptOnly })).toThrow(
      'must allow the "encrypt" and "decrypt" usages',
    );
  });
});
