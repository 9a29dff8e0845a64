import {
  deserializeToken,
  GoToAuthError,
  type GoToToken,
  isGoToAuthError,
  serializeToken,
  type TokenStore,
  type TokenStoreEntry,
  type TokenStoreLock,
} from '@goto-auth/core';
import { type EncryptionKey, TokenCipher } from './encryption.js';
import { EXTEND_LOCK, type LuaScript, RELEASE_LOCK, SET_IF_VERSION } from './scripts.js';

/**
 * The commands the store sends. An ioredis `Redis` or `Cluster` (ioredis 5 or 6) has them all;
 * the store never subscribes, never changes the client's options and never closes it.
 */
export interface RedisTokenStoreClient {
  /** ioredis's connection state; while it says the server is gone, commands fail at once. */
  readonly status?: string;
  /** Reads the stored token and its version. */
  hmget(key: string, ...fields: string[]): Promise<(string | null)[]>;
  /** Takes the lock: `SET key value PX ms NX`. */
  set(key: string, value: string, px: 'PX', milliseconds: number, nx: 'NX'): Promise<'OK' | null>;
  /** Deletes the stored token. */
  del(key: string): Promise<number>;
  /** Runs the store's scripts (compare-and-set, extend and release the lock) by their SHA-1. */
  evalsha(sha: string, numkeys: number, ...args: string[]): Promise<unknown>;
  /** Runs a script the server has not cached yet (after a restart, on a new Cluster node). */
  eval(script: string, numkeys: number, ...args: string[]): Promise<unknown>;
}

/** Options of {@link RedisTokenStore}. */
export interface RedisTokenStoreOptions {
  /**
   * An ioredis `Redis` or `Cluster` the application created and will close. One connection
   * serves the store: it sends a handful of commands per token lifetime and none on the hot path.
   *
   * @example
   * ```ts
   * new Redis(process.env.REDIS_URL!)
   * ```
   */
  client: RedisTokenStoreClient;
  /**
   * Prepended to every key. The store writes `<prefix>{<key>}:token` (a hash) and
   * `<prefix>{<key>}:lock`; the braces are a Redis Cluster hash tag, so both keys live in one slot.
   *
   * @defaultValue `'goto-auth:'`
   */
  keyPrefix?: string;
  /**
   * Encrypts stored tokens with AES-256-GCM (Web Crypto): 32 bytes, as a `Uint8Array`, a base64
   * string or an AES-GCM `CryptoKey`, optionally with an id. Every process that shares the store
   * needs the same key; a wrong key fails with `STORE_ERROR` and mints nothing.
   *
   * @defaultValue none: tokens are stored as JSON in clear
   * @example
   * ```ts
   * encryptionKey: process.env.GOTO_TOKEN_KEY // openssl rand -base64 32
   * ```
   */
  encryptionKey?: EncryptionKey;
  /**
   * Older keys that may still have encrypted the stored token: read, never written. Keep the old
   * key here while a new `encryptionKey` rolls out.
   *
   * @defaultValue `[]`
   */
  decryptionKeys?: readonly EncryptionKey[];
  /**
   * The longest wait for one Redis answer, in ms, before the call fails with `STORE_ERROR`.
   * ioredis queues commands while it reconnects; without this bound a refresh could hang on a
   * Redis that is down.
   *
   * @defaultValue 1000
   */
  commandTimeout?: number;
}

/** ioredis states in which a command would only wait in the offline queue. */
const UNREACHABLE = new Set(['reconnecting', 'close', 'end', 'disconnecting']);
const REQUIRED = ['hmget', 'set', 'del', 'evalsha', 'eval'] as const;

function invalid(message: string): never {
  throw new GoToAuthError('INVALID_OPTIONS', `RedisTokenStore: ${message}`);
}

function storeError(message: string, cause?: unknown): GoToAuthError {
  return new GoToAuthError('STORE_ERROR', message, cause === undefined ? {} : { cause });
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 200);
}

/**
 * ioredis attaches the failed command with its arguments to its errors: for a write, the token.
 * Keep only the name and message.
 */
function sanitize(error: unknown): Error {
  const clean = new Error(messageOf(error));
  if (error instanceof Error) clean.name = error.name;
  return clean;
}

function randomValue(): string {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(16))).toString('base64url');
}

function milliseconds(value: number, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw storeError(`RedisTokenStore: ${what} must be a positive number of milliseconds.`);
  }
  return Math.max(1, Math.ceil(value));
}

/**
 * A {@link TokenStore} on Redis, so that every process using one GoTo credential shares one
 * token and makes one grant per token lifetime.
 *
 * The lock is `SET <lock> <random> NX PX <ttl>`, extended by a compare-and-extend script and
 * released by a compare-and-delete script. The token is written by a compare-and-set script on
 * a version Redis itself keeps, so which token is newer never depends on hosts' clocks. It has
 * no `waitForChange`: the manager polls `get` every `lockPollInterval` while another process
 * refreshes, which costs two commands per poll for the few hundred milliseconds of a grant, once
 * per token lifetime, and needs no second connection.
 *
 * @example
 * ```ts
 * import { createGoToAuth } from '@goto-auth/core';
 * import { RedisTokenStore } from '@goto-auth/redis';
 * import { Redis } from 'ioredis';
 *
 * const redis = new Redis(process.env.REDIS_URL!);
 * const auth = createGoToAuth({
 *   clientId, clientSecret, userId, password,
 *   store: new RedisTokenStore({ client: redis }),
 * });
 * ```
 */
export class RedisTokenStore implements TokenStore {
  /** The prefix of every key the store writes. */
  readonly keyPrefix: string;
  /** The per-command timeout in ms. */
  readonly commandTimeout: number;
  readonly #client: RedisTokenStoreClient;
  readonly #cipher: TokenCipher | undefined;

  /** @throws {@link @goto-auth/core!GoToAuthError} `INVALID_OPTIONS` for a missing client or a malformed key. */
  constructor(options: RedisTokenStoreOptions) {
    if (typeof options !== 'object' || options === null) invalid('options are required.');
    const { client } = options;
    if (typeof client !== 'object' || client === null) {
      invalid('"client" is required: pass an ioredis Redis or Cluster.');
    }
    for (const method of REQUIRED) {
      if (typeof client[method] !== 'function') {
        invalid(`"client" has no ${method}(): pass an ioredis Redis or Cluster.`);
      }
    }
    const keyPrefix = options.keyPrefix ?? 'goto-auth:';
    if (typeof keyPrefix !== 'string') invalid('"keyPrefix" must be a string.');
    const commandTimeout = options.commandTimeout ?? 1000;
    if (
      typeof commandTimeout !== 'number' ||
      !Number.isFinite(commandTimeout) ||
      commandTimeout <= 0
    ) {
      invalid('"commandTimeout" must be a positive number of milliseconds.');
    }
    this.#client = client;
    this.keyPrefix = keyPrefix;
    this.commandTimeout = commandTimeout;
    this.#cipher =
      options.encryptionKey === undefined
        ? undefined
        : new TokenCipher(options.encryptionKey, options.decryptionKeys);
    if (options.encryptionKey === undefined && options.decryptionKeys !== undefined) {
      invalid('"decryptionKeys" needs an "encryptionKey".');
    }
  }

  /**
   * The Redis keys for a store key (from `tokenStoreKey`): what to look at with `redis-cli`.
   *
   * @example
   * ```ts
   * store.keys(await tokenStoreKey({ baseUrl, clientId, userId })).token
   * // 'goto-auth:{9f86d0…}:token'
   * ```
   */
  keys(key: string): {
    /** The hash that holds the token and its version. */
    token: string;
    /** The refresh lock's key. */
    lock: string;
  } {
    const base = `${this.keyPrefix}{${key}}`;
    return { token: `${base}:token`, lock: `${base}:lock` };
  }

  /**
   * The stored entry, or `undefined`. A token stored in clear reads as `undefined` when the
   * store encrypts, so the next refresh replaces it with an encrypted one.
   *
   * @throws {@link @goto-auth/core!GoToAuthError} `STORE_ERROR` when Redis fails or the token cannot be read
   * (a wrong encryption key says so)
   */
  async get(key: string): Promise<TokenStoreEntry | undefined> {
    const name = this.keys(key).token;
    const [value, version] = await this.#run('get', () =>
      this.#client.hmget(name, 'value', 'version'),
    );
    if (value === null || value === undefined) return undefined;
    const entry = (token: GoToToken) => ({ token, version: Number(version ?? 0) });
    if (TokenCipher.isEncrypted(value)) {
      if (this.#cipher === undefined) {
        throw storeError(
          'The stored token is encrypted, but this RedisTokenStore has no encryptionKey: give every process that shares the store the same key.',
        );
      }
      return entry(deserializeToken(await this.#cipher.decrypt(value, name)));
    }
    if (this.#cipher !== undefined) return undefined;
    return entry(deserializeToken(value));
  }

  /**
   * Stores `token` for `ttlMs` if the stored version is still `expected` (compare-and-set).
   *
   * @returns the new version, or `undefined` when another write came first
   * @throws {@link @goto-auth/core!GoToAuthError} `STORE_ERROR` when Redis fails
   */
  async set(
    key: string,
    token: GoToToken,
    ttlMs: number,
    expected: number | undefined,
  ): Promise<number | undefined> {
    const name = this.keys(key).token;
    const ttl = milliseconds(ttlMs, 'the token ttl');
    const plaintext = serializeToken(token);
    const value =
      this.#cipher === undefined ? plaintext : await this.#cipher.encrypt(plaintext, name);
    const written = await this.#run('set', () =>
      this.#eval(
        SET_IF_VERSION,
        name,
        // An encrypting store reads a token stored in clear as nothing: it may replace it.
        expected === undefined && this.#cipher !== undefined ? 'clear' : String(expected ?? 0),
        value,
        String(ttl),
      ),
    );
    return typeof written === 'number' && written > 0 ? written : undefined;
  }

  /**
   * Removes the stored token.
   *
   * @throws {@link @goto-auth/core!GoToAuthError} `STORE_ERROR` when Redis fails
   */
  async delete(key: string): Promise<void> {
    const name = this.keys(key).token;
    await this.#run('delete', () => this.#client.del(name));
  }

  /**
   * Tries once to take the refresh lock for `ttlMs`.
   *
   * @returns the lock, or `undefined` when another holder has it
   * @throws {@link @goto-auth/core!GoToAuthError} `STORE_ERROR` when Redis fails
   */
  async lock(key: string, ttlMs: number): Promise<TokenStoreLock | undefined> {
    const name = this.keys(key).lock;
    const ttl = milliseconds(ttlMs, 'the lock ttl');
    const owner = randomValue();
    const release = async (): Promise<void> => {
      await this.#run('release', () => this.#eval(RELEASE_LOCK, name, owner));
    };
    const reply = await this.#run(
      'lock',
      () => this.#client.set(name, owner, 'PX', ttl, 'NX'),
      // A SET that timed out here may still run once Redis answers: free that lock at once
      // rather than make every process wait out its ttl.
      (late) => {
        if (late === 'OK') release().catch(() => {});
      },
    );
    if (reply !== 'OK') return undefined;
    let released = false;
    return {
      release: async () => {
        if (released) return;
        await release();
        released = true;
      },
      extend: async (ms) => {
        if (released) return false;
        const extended = await this.#run('extend', () =>
          this.#eval(EXTEND_LOCK, name, owner, String(milliseconds(ms, 'the lock ttl'))),
        );
        return extended === 1;
      },
    };
  }

  async #eval(script: LuaScript, key: string, ...args: string[]): Promise<unknown> {
    try {
      return await this.#client.evalsha(script.sha, 1, key, ...args);
    } catch (error) {
      // Each server (each Cluster node) caches scripts on its own and forgets them on restart.
      if (!messageOf(error).startsWith('NOSCRIPT')) throw error;
      return await this.#client.eval(script.source, 1, key, ...args);
    }
  }

  /** Sends one operation with a deadline, and turns every failure into a clean STORE_ERROR. */
  async #run<T>(
    operation: string,
    send: () => Promise<T>,
    onLate?: (value: T) => void,
  ): Promise<T> {
    const status = this.#client.status;
    if (status !== undefined && UNREACHABLE.has(status)) {
      throw storeError(`Redis is unreachable (connection ${status}); ${operation} was not sent.`);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    let timedOut = false;
    let pending: Promise<T>;
    try {
      pending = send();
    } catch (error) {
      throw storeError(`Redis ${operation} failed: ${messageOf(error)}`, sanitize(error));
    }
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(storeError(`Redis did not answer ${operation} within ${this.commandTimeout} ms.`));
      }, this.commandTimeout);
      timer.unref?.();
    });
    try {
      return await Promise.race([pending, deadline]);
    } catch (error) {
      if (isGoToAuthError(error)) throw error;
      throw storeError(`Redis ${operation} failed: ${messageOf(error)}`, sanitize(error));
    } finally {
      clearTimeout(timer);
      if (timedOut)
        pending.then(
          (value) => onLate?.(value),
          () => {},
        );
    }
  }
}
