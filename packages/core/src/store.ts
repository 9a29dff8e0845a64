import type { GoToToken } from './token.js';

/** A lock taken with {@link TokenStore.lock}. */
export interface TokenStoreLock {
  /** Releases the lock if this holder still owns it; never releases another holder's lock. */
  release(): Promise<void>;
  /**
   * Optional: makes the lock last `ttlMs` from now, if this holder still owns it
   * (compare-and-extend). The manager calls it before each token request of a hold, for at
   * least the request's `timeout` and the store write after it, so a slow GoTo cannot outlast
   * the lock.
   *
   * @returns whether this holder still owns the lock
   */
  extend?(ttlMs: number): Promise<boolean>;
}

/** What a {@link TokenStore} holds under a key: a token and the store's version of it. */
export interface TokenStoreEntry {
  /** The stored token. */
  readonly token: GoToToken;
  /**
   * The store's version of this entry: a number the store changes with every write (a
   * generation counter bumped in the same atomic step as the write). Only ever compared for
   * equality, never with a host's clock: hosts' clocks disagree.
   */
  readonly version: number;
}

/**
 * Where tokens are kept between refreshes, and how processes agree on who refreshes.
 *
 * The manager touches the store only at start, at refresh and after `invalidate()`; never on
 * the hot path. `@goto-auth/redis` implements it for many processes; {@link MemoryTokenStore}
 * for one.
 *
 * Which stored token is current is decided by the store, never by comparing timestamps made on
 * different hosts: a write names the version it read (compare-and-set), and loses when another
 * process wrote in between.
 *
 * Keys come from {@link tokenStoreKey}: a hash of base URL, client id and user id, never the
 * password.
 */
export interface TokenStore {
  /** The stored entry, or `undefined`. */
  get(key: string): Promise<TokenStoreEntry | undefined>;
  /**
   * Stores `token` for `ttlMs` milliseconds if the entry under `key` is still the one read:
   * its version is `expected`, or there is none and `expected` is `undefined`. The check and
   * the write are one atomic step.
   *
   * @returns the new entry's version, or `undefined` when another write came first
   */
  set(
    key: string,
    token: GoToToken,
    ttlMs: number,
    expected: number | undefined,
  ): Promise<number | undefined>;
  /** Removes the stored entry. */
  delete(key: string): Promise<void>;
  /**
   * Tries once to take the refresh lock for `key`, held at most `ttlMs` milliseconds.
   *
   * @returns the lock, or `undefined` when another holder has it
   */
  lock(key: string, ttlMs: number): Promise<TokenStoreLock | undefined>;
  /**
   * Optional: resolves when the token under `key` may have changed, or after `timeoutMs`.
   * Without it the manager polls `get` while another holder refreshes.
   */
  waitForChange?(key: string, timeoutMs: number): Promise<void>;
}

interface MemoryEntry {
  entry: TokenStoreEntry;
  expiresAt: number;
}

/**
 * A {@link TokenStore} in this process's memory: the default. Share one instance between auth
 * objects in the same process to make them share a token.
 */
export class MemoryTokenStore implements TokenStore {
  readonly #tokens = new Map<string, MemoryEntry>();
  readonly #locks = new Map<string, { owner: object; expiresAt: number }>();
  readonly #now: () => number;
  #version = 0;

  /** @param options.now - the clock, for tests. @defaultValue `Date.now` */
  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  async get(key: string): Promise<TokenStoreEntry | undefined> {
    return this.#live(key)?.entry;
  }

  async set(
    key: string,
    token: GoToToken,
    ttlMs: number,
    expected: number | undefined,
  ): Promise<number | undefined> {
    if (this.#live(key)?.entry.version !== expected) return undefined;
    const version = ++this.#version;
    this.#tokens.set(key, { entry: { token, version }, expiresAt: this.#now() + ttlMs });
    return version;
  }

  async delete(key: string): Promise<void> {
    this.#tokens.delete(key);
  }

  async lock(key: string, ttlMs: number): Promise<TokenStoreLock | undefined> {
    const now = this.#now();
    const held = this.#locks.get(key);
    if (held !== undefined && now < held.expiresAt) return undefined;
    const owner = {};
    this.#locks.set(key, { owner, expiresAt: now + ttlMs });
    const owned = () => {
      const lock = this.#locks.get(key);
      return lock?.owner === owner && this.#now() < lock.expiresAt ? lock : undefined;
    };
    return {
      release: async () => {
        if (owned() !== undefined) this.#locks.delete(key);
      },
      extend: async (ms) => {
        const lock = owned();
        if (lock !== undefined) lock.expiresAt = this.#now() + ms;
        return lock !== undefined;
      },
    };
  }

  #live(key: string): MemoryEntry | undefined {
    const stored = this.#tokens.get(key);
    if (stored !== undefined && this.#now() >= stored.expiresAt) {
      this.#tokens.delete(key);
      return undefined;
    }
    return stored;
  }
}

function hex(buffer: ArrayBuffer): string {
  // One flat string: `+=` would keep a tree of 32 pieces alive in every key held in memory.
  return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** SHA-256 of a text, as hex (Web Crypto). */
export async function sha256(text: string): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/**
 * The store key for one credential: SHA-256 of base URL, client id and user id (hex). The
 * password is not part of it, so a password change keeps the key.
 */
export async function tokenStoreKey(parts: {
  baseUrl: string;
  clientId: string;
  userId: string;
}): Promise<string> {
  return sha256(JSON.stringify([parts.baseUrl.replace(/\/+$/, ''), parts.clientId, parts.userId]));
}
