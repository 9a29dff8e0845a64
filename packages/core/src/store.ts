import type { GoToToken } from './token.js';

/** A lock taken with {@link TokenStore.lock}. */
export interface TokenStoreLock {
  /** Releases the lock if this holder still owns it; never releases another holder's lock. */
  release(): Promise<void>;
}

/**
 * Where tokens are kept between refreshes, and how processes agree on who refreshes.
 *
 * The manager touches the store only at start, at refresh and after `invalidate()`; never on
 * the hot path. `@goto-auth/redis` implements it for many processes; {@link MemoryTokenStore}
 * for one.
 *
 * Keys come from {@link tokenStoreKey}: a hash of base URL, client id and user id, never the
 * password.
 */
export interface TokenStore {
  /** The stored token, or `undefined`. */
  get(key: string): Promise<GoToToken | undefined>;
  /**
   * Stores `token` for `ttlMs` milliseconds, unless the stored token has a later `issuedAt`
   * (a holder that stalled past its lock must not overwrite a newer token).
   *
   * @returns whether the token was written
   */
  set(key: string, token: GoToToken, ttlMs: number): Promise<boolean>;
  /** Removes the stored token. */
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
  token: GoToToken;
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

  /** @param options.now - the clock, for tests. @defaultValue `Date.now` */
  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  async get(key: string): Promise<GoToToken | undefined> {
    const entry = this.#tokens.get(key);
    if (entry === undefined) return undefined;
    if (this.#now() >= entry.expiresAt) {
      this.#tokens.delete(key);
      return undefined;
    }
    return entry.token;
  }

  async set(key: string, token: GoToToken, ttlMs: number): Promise<boolean> {
    const current = this.#tokens.get(key);
    if (current !== undefined && current.token.issuedAt > token.issuedAt) return false;
    this.#tokens.set(key, { token, expiresAt: this.#now() + ttlMs });
    return true;
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
    return {
      release: async () => {
        if (this.#locks.get(key)?.owner === owner) this.#locks.delete(key);
      },
    };
  }
}

function hex(buffer: ArrayBuffer): string {
  let out = '';
  for (const byte of new Uint8Array(buffer)) out += byte.toString(16).padStart(2, '0');
  return out;
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
  const data = new TextEncoder().encode(
    JSON.stringify([parts.baseUrl.replace(/\/+$/, ''), parts.clientId, parts.userId]),
  );
  return hex(await crypto.subtle.digest('SHA-256', data));
}
