import { GoToAuthError, isGoToAuthError } from './errors.js';
import type {
  GoToAuthEvent,
  GoToAuthEventType,
  GoToAuthListener,
  RefreshReason,
  TokenSource,
} from './events.js';
import { type Grant, requestToken } from './grant.js';
import { type GoToAuthOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { type TokenStoreLock, tokenStoreKey } from './store.js';
import { sleep, type TimerHandle } from './timers.js';
import type { GoToToken } from './token.js';

/** Options of {@link GoToAuth.getToken}. */
export interface GetTokenOptions {
  /** Abandons this caller's wait (rejecting with `ABORTED`); a shared refresh goes on. */
  signal?: AbortSignal;
}

/** A token's facts without its secrets: safe to log or show. */
export type GoToTokenInfo = Omit<GoToToken, 'accessToken' | 'refreshToken'>;

/** What {@link GoToAuth.status} reports. Carries no secret. */
export interface GoToAuthStatus {
  /**
   * `'empty'`: no token yet; `'valid'`: a token serves; `'refreshing'`: a refresh runs;
   * `'expired'`: the last token expired and no new one could be had; `'closed'`.
   */
  state: 'empty' | 'valid' | 'refreshing' | 'expired' | 'closed';
  /** The current token's facts, without the token. */
  token: GoToTokenInfo | undefined;
  /** When the current token will be refreshed, in epoch ms. */
  refreshAt: number | undefined;
  /** When a token last arrived, in epoch ms. */
  lastRefreshAt: number | undefined;
  /** The last failure, until a token arrives again. */
  lastError:
    | {
        /** The error's code. */
        code: GoToAuthError['code'];
        /** The error's message (never a secret). */
        message: string;
        /** When it happened, in epoch ms. */
        at: number;
      }
    | undefined;
}

/**
 * A GoTo Direct Login token source: cached, refreshed once before expiry, shared through its
 * store. Create one per credential with {@link createGoToAuth} and keep it for the process's life.
 */
export interface GoToAuth {
  /** GoTo's API origin and path prefix, without a trailing slash (read-only). */
  readonly baseUrl: string;
  /** Whether `close()` was called. */
  readonly closed: boolean;
  /**
   * A token valid for at least the refresh margin. A cached token costs one clock read and no
   * I/O; otherwise one refresh runs for all callers (single flight).
   *
   * @throws {@link GoToAuthError} when no token can be had (see its `code`)
   */
  getToken(options?: GetTokenOptions): Promise<GoToToken>;
  /**
   * Says GoTo rejected `accessToken` (401, or 403 `InvalidToken`). Acts only when it names the
   * current token: a stale rejection from an older request is ignored. The next `getToken()`
   * looks in the store for a newer token before minting one.
   *
   * @returns whether the current token was dropped
   */
  invalidate(accessToken: string): boolean;
  /**
   * The current token when it is fresh (what `getToken()` would resolve to at once), else
   * `undefined`. One clock read, no I/O, no allocation: for synchronous hot paths such as
   * middleware, which fall back to `getToken()` when it returns `undefined`.
   */
  cachedToken(): GoToToken | undefined;
  /** The current state, without secrets: for health checks and dashboards. No I/O. */
  status(): GoToAuthStatus;
  /**
   * Listens to one kind of event.
   * @returns a function that removes the listener
   */
  on<T extends GoToAuthEventType>(type: T, listener: GoToAuthListener<T>): () => void;
  /** Stops timers and in-flight work. Later calls fail with `CLOSED`. */
  close(): Promise<void>;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Waiters attach their own handlers; this one keeps an unawaited rejection quiet.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

interface Flight {
  waiters: Deferred<GoToToken>;
  /** Set once an attempt failed while the old token still served: callers get the old token. */
  servingOld: boolean;
  done: Promise<void>;
}

type Held = TokenStoreLock | { token: GoToToken };

const NO_LOCK: TokenStoreLock = { release: async () => {} };
const REJECTED_MEMORY = 8;
/** A token rejected this soon after it was minted counts towards the contention warning. */
const QUICK_REJECTION_MS = 60_000;
const QUICK_REJECTIONS_TO_WARN = 3;
const WARNING_INTERVAL_MS = 5 * 60_000;
const CREDENTIAL_FAILURE_COOLDOWN_MS = 30_000;

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

function closedError(): GoToAuthError {
  return new GoToAuthError('CLOSED', 'This GoTo auth object was closed.');
}

function toGoToAuthError(error: unknown): GoToAuthError {
  if (isGoToAuthError(error)) return error;
  return new GoToAuthError('STORE_ERROR', 'Unexpected failure while getting a token.', {
    cause: error,
  });
}

class TokenManager implements GoToAuth {
  readonly #o: ResolvedOptions;
  readonly #now: () => number;
  readonly #closing = new AbortController();
  readonly #listeners = new Map<GoToAuthEventType, Set<(event: GoToAuthEvent) => void>>();

  #token: GoToToken | undefined;
  /** Set with `#refreshAt`, so the hot path never meets it undefined. */
  #tokenPromise: Promise<GoToToken> | undefined;
  /** The hot path's only test: a cached token serves while `now < #refreshAt`. */
  #refreshAt = Number.NEGATIVE_INFINITY;
  #flight: Flight | undefined;
  #timer: TimerHandle | undefined;
  #key: Promise<string> | undefined;
  #rejected: string[] = [];
  #pendingReason: RefreshReason | undefined;
  #lastGrantAt = Number.NEGATIVE_INFINITY;
  #quickRejections = 0;
  #lastWarningAt = Number.NEGATIVE_INFINITY;
  #failure: { error: GoToAuthError; until: number; at: number } | undefined;
  #lastLoggedCode: string | undefined;
  #lastRefreshAt: number | undefined;
  #closed = false;

  constructor(options: GoToAuthOptions) {
    this.#o = resolveOptions(options);
    this.#now = this.#o.now;
  }

  get baseUrl(): string {
    return this.#o.baseUrl;
  }

  get closed(): boolean {
    return this.#closed;
  }

  getToken(options?: GetTokenOptions): Promise<GoToToken> {
    if (this.#now() < this.#refreshAt) return this.#tokenPromise as Promise<GoToToken>;
    return this.#slowPath(options?.signal);
  }

  cachedToken(): GoToToken | undefined {
    return this.#now() < this.#refreshAt ? this.#token : undefined;
  }

  #slowPath(signal: AbortSignal | undefined): Promise<GoToToken> {
    if (this.#closed) return Promise.reject(closedError());
    if (signal?.aborted) return Promise.reject(aborted(signal));
    const now = this.#now();
    const current = this.#token;
    const currentValid =
      current !== undefined &&
      now < current.expiresAt &&
      !this.#rejected.includes(current.accessToken);

    let flight = this.#flight;
    if (flight === undefined) {
      const failure = this.#failure;
      if (failure !== undefined && now < failure.until) {
        return currentValid ? Promise.resolve(current) : Promise.reject(failure.error);
      }
      flight = this.#startFlight(this.#reason(now));
    }
    if (currentValid && flight.servingOld) return Promise.resolve(current);
    return signal === undefined
      ? flight.waiters.promise
      : withSignal(flight.waiters.promise, signal);
  }

  #reason(now: number): RefreshReason {
    if (this.#pendingReason !== undefined) return this.#pendingReason;
    const current = this.#token;
    if (current === undefined) return 'initial';
    return now >= current.expiresAt ? 'expired' : 'scheduled';
  }

  #startFlight(reason: RefreshReason): Flight {
    this.#pendingReason = undefined;
    const flight: Flight = { waiters: deferred(), servingOld: false, done: Promise.resolve() };
    this.#flight = flight;
    flight.done = this.#run(flight, reason);
    return flight;
  }

  async #run(flight: Flight, reason: RefreshReason): Promise<void> {
    // Cleared before waiters resume, so a caller that acts on the result starts afresh.
    const end = () => {
      if (this.#flight === flight) this.#flight = undefined;
    };
    const { retry } = this.#o;
    for (let attempt = 1; ; attempt++) {
      try {
        const { token, source } = await this.#attempt(reason);
        if (this.#closed) throw closedError();
        end();
        this.#adopt(token, source, reason);
        flight.waiters.resolve(token);
        return;
      } catch (caught) {
        if (this.#closed) {
          end();
          flight.waiters.reject(closedError());
          return;
        }
        const error = toGoToAuthError(caught);
        const now = this.#now();
        const retryIn = attempt <= retry.limit ? this.#backoff(attempt, error) : undefined;
        this.#emit({
          type: 'refresh-failed',
          code: error.code,
          message: error.message,
          attempt,
          retryIn,
        });
        const current = this.#token;
        const oldServes =
          current !== undefined &&
          now < current.expiresAt &&
          !this.#rejected.includes(current.accessToken);

        if (retryIn === undefined) {
          const failed = attempt > 1 ? withAttempts(error, attempt) : error;
          end();
          this.#fail(failed, now, attempt);
          if (oldServes) {
            flight.waiters.resolve(current);
            // Try again once the cool-down ends, while the old token still serves.
            this.#schedule(this.#failure?.until ?? now);
          } else {
            flight.waiters.reject(failed);
          }
          return;
        }
        if (oldServes && !flight.servingOld) {
          flight.servingOld = true;
          flight.waiters.resolve(current);
          flight.waiters = deferred();
        }
        try {
          await sleep(this.#o.timers, retryIn, this.#closing.signal);
        } catch {
          end();
          flight.waiters.reject(closedError());
          return;
        }
      }
    }
  }

  /** Capped exponential backoff with jitter; `undefined` when the error is not worth a retry. */
  #backoff(attempt: number, error: GoToAuthError): number | undefined {
    if (!error.retryable) return undefined;
    const { baseDelay, maxDelay } = this.#o.retry;
    const cap = Math.min(maxDelay, baseDelay * 2 ** (attempt - 1));
    const jittered = cap / 2 + Math.random() * (cap / 2);
    if (error.retryAfter === undefined) return jittered;
    return error.retryAfter > maxDelay ? undefined : Math.max(jittered, error.retryAfter);
  }

  #fail(error: GoToAuthError, now: number, attempt: number): void {
    const cooldown = error.retryable
      ? Math.max(
          error.retryAfter ?? 0,
          Math.min(this.#o.retry.maxDelay, this.#o.retry.baseDelay * 2 ** attempt),
        )
      : Math.max(this.#o.minGrantInterval, CREDENTIAL_FAILURE_COOLDOWN_MS);
    this.#failure = { error, until: now + cooldown, at: now };
    if (this.#lastLoggedCode !== error.code) {
      this.#lastLoggedCode = error.code;
      const log = error.retryable ? this.#o.logger.warn : this.#o.logger.error;
      log?.call(this.#o.logger, `[goto-auth] ${error.code}: ${error.message}`);
    }
  }

  async #attempt(reason: RefreshReason): Promise<{ token: GoToToken; source: TokenSource }> {
    if (reason === 'rejected') {
      // Feeding a revocation loop costs the user every request: space grants after rejections.
      const wait = this.#lastGrantAt + this.#o.minGrantInterval - this.#now();
      if (wait > 0) await sleep(this.#o.timers, wait, this.#closing.signal);
    }
    const key = await this.#storeKey();
    const stored = await this.#storeGet(key);
    if (this.#usable(stored)) return { token: stored, source: 'store' };

    const held = await this.#acquire(key);
    if ('token' in held) return { token: held.token, source: 'store' };
    try {
      const latest = await this.#storeGet(key);
      if (this.#usable(latest)) return { token: latest, source: 'store' };
      const result = await this.#grant(latest);
      if (await this.#storeSet(key, result.token)) return result;
      // A later token is stored: we stalled past our lock and another holder minted after us,
      // which revoked ours. Take theirs.
      const newer = await this.#storeGet(key).catch(() => undefined);
      return newer !== undefined && newer.issuedAt > result.token.issuedAt && this.#usable(newer)
        ? { token: newer, source: 'store' }
        : result;
    } finally {
      await held.release().catch((error: unknown) => this.#storeTrouble('release', error));
    }
  }

  async #acquire(key: string): Promise<Held> {
    const { store, lockTtl, lockPollInterval, timers } = this.#o;
    const deadline = this.#now() + 2 * lockTtl;
    for (;;) {
      let lock: TokenStoreLock | undefined;
      try {
        lock = await store.lock(key, lockTtl);
      } catch (error) {
        this.#storeTrouble('lock', error);
        return NO_LOCK;
      }
      if (lock !== undefined) return lock;
      if (this.#now() > deadline) {
        throw new GoToAuthError(
          'TIMEOUT',
          `Waited ${2 * lockTtl} ms for another process to finish refreshing the token.`,
        );
      }
      // Another process is refreshing: wait for its token rather than mint our own.
      if (store.waitForChange !== undefined) await store.waitForChange(key, lockPollInterval);
      else await sleep(timers, lockPollInterval, this.#closing.signal);
      if (this.#closed) throw closedError();
      const stored = await this.#storeGet(key);
      if (this.#usable(stored)) return { token: stored };
    }
  }

  async #grant(stored: GoToToken | undefined): Promise<{ token: GoToToken; source: TokenSource }> {
    const now = this.#now();
    let refreshable: GoToToken | undefined;
    if (this.#o.clientSecret !== undefined) {
      for (const candidate of [stored, this.#token]) {
        if (
          candidate?.refreshToken !== undefined &&
          now < (candidate.refreshTokenExpiresAt ?? 0) &&
          (refreshable === undefined || candidate.issuedAt > refreshable.issuedAt)
        ) {
          refreshable = candidate;
        }
      }
    }
    if (refreshable?.refreshToken !== undefined) {
      try {
        return {
          token: await this.#request({
            type: 'refresh_token',
            refreshToken: refreshable.refreshToken,
          }),
          source: 'refresh_token',
        };
      } catch (error) {
        if (!isGoToAuthError(error) || error.code !== 'REFRESH_TOKEN_REJECTED') throw error;
        this.#emit({
          type: 'refresh-failed',
          code: error.code,
          message: error.message,
          attempt: 1,
          retryIn: 0,
        });
      }
    }
    return { token: await this.#request({ type: 'password' }), source: 'password' };
  }

  #request(grant: Grant): Promise<GoToToken> {
    this.#lastGrantAt = this.#now();
    return requestToken(this.#o, grant, this.#closing.signal);
  }

  #usable(token: GoToToken | undefined): token is GoToToken {
    return (
      token !== undefined &&
      !this.#rejected.includes(token.accessToken) &&
      this.#now() < this.#refreshAtFor(token) &&
      (this.#token === undefined || token.issuedAt >= this.#token.issuedAt)
    );
  }

  #refreshAtFor(token: GoToToken): number {
    const lifetime = token.expiresAt - token.issuedAt;
    return token.expiresAt - Math.min(this.#o.refreshMargin, lifetime / 4);
  }

  #adopt(token: GoToToken, source: TokenSource, reason: RefreshReason): void {
    // A rejection reported while this refresh ran is answered by its token.
    this.#pendingReason = undefined;
    this.#token = token;
    this.#tokenPromise = Promise.resolve(token);
    this.#refreshAt = this.#refreshAtFor(token);
    this.#failure = undefined;
    this.#lastLoggedCode = undefined;
    this.#lastRefreshAt = this.#now();
    this.#schedule(this.#refreshAt);
    this.#emit({
      type: 'token',
      source,
      reason,
      issuedAt: token.issuedAt,
      expiresAt: token.expiresAt,
      refreshAt: this.#refreshAt,
    });
  }

  #schedule(at: number): void {
    const { timers } = this.#o;
    if (this.#timer !== undefined) timers.clearTimeout(this.#timer);
    this.#timer = timers.setTimeout(() => {
      this.#timer = undefined;
      // A late timer is harmless: getToken() checks the clock itself.
      if (!this.#closed && this.#flight === undefined) this.#startFlight(this.#reason(this.#now()));
    }, at - this.#now());
  }

  #storeKey(): Promise<string> {
    this.#key ??= tokenStoreKey(this.#o);
    return this.#key;
  }

  async #storeGet(key: string): Promise<GoToToken | undefined> {
    try {
      return await this.#o.store.get(key);
    } catch (error) {
      this.#storeTrouble('get', error);
      return undefined;
    }
  }

  /** @returns `false` only when the store holds a later token. */
  async #storeSet(key: string, token: GoToToken): Promise<boolean> {
    const ttl =
      Math.max(token.refreshTokenExpiresAt ?? token.expiresAt, token.expiresAt) - this.#now();
    try {
      return await this.#o.store.set(key, token, Math.max(1, ttl));
    } catch (error) {
      // The new token already revoked the old one at GoTo: keep it, whatever the store says.
      this.#warn(
        'STORE_UNAVAILABLE',
        `Could not save the new token to the store (${describe(error)}).`,
      );
      return true;
    }
  }

  /** `'fail'` (the default) turns store trouble into a retryable STORE_ERROR. */
  #storeTrouble(operation: string, error: unknown): void {
    if (this.#closed) throw closedError();
    if (operation === 'release' || this.#o.onStoreError === 'local') {
      this.#warn(
        'STORE_UNAVAILABLE',
        `The token store failed on ${operation} (${describe(error)}).`,
      );
      return;
    }
    throw new GoToAuthError(
      'STORE_ERROR',
      `The token store failed on ${operation} (${describe(error)}).`,
      { cause: error },
    );
  }

  invalidate(accessToken: string): boolean {
    const current = this.#token;
    const now = this.#now();
    if (
      this.#closed ||
      current === undefined ||
      current.accessToken !== accessToken ||
      this.#rejected.includes(accessToken)
    ) {
      this.#emit({ type: 'invalidated', stale: true, age: undefined });
      return false;
    }
    this.#rejected.push(accessToken);
    if (this.#rejected.length > REJECTED_MEMORY) this.#rejected.shift();
    this.#refreshAt = Number.NEGATIVE_INFINITY;
    this.#pendingReason = 'rejected';
    this.#failure = undefined;
    const age = now - current.issuedAt;
    this.#quickRejections = age < QUICK_REJECTION_MS ? this.#quickRejections + 1 : 0;
    this.#emit({ type: 'invalidated', stale: false, age });
    if (
      this.#quickRejections >= QUICK_REJECTIONS_TO_WARN &&
      now - this.#lastWarningAt >= WARNING_INTERVAL_MS
    ) {
      this.#lastWarningAt = now;
      this.#warn(
        'CREDENTIALS_CONTENDED',
        `GoTo rejected ${this.#quickRejections} tokens in a row within ${QUICK_REJECTION_MS / 1000} s of minting: another client is minting tokens with these credentials (in GoToAssist Corporate each new token revokes the others). Share one token store between all processes, or stop the other client.`,
      );
    }
    return true;
  }

  status(): GoToAuthStatus {
    const now = this.#now();
    const token = this.#token;
    let info: GoToTokenInfo | undefined;
    if (token !== undefined) {
      const { accessToken: _a, refreshToken: _r, ...rest } = token;
      info = rest;
    }
    const valid =
      token !== undefined && now < token.expiresAt && !this.#rejected.includes(token.accessToken);
    const failure = this.#failure;
    return {
      state: this.#closed
        ? 'closed'
        : this.#flight !== undefined
          ? 'refreshing'
          : valid
            ? 'valid'
            : token === undefined
              ? 'empty'
              : 'expired',
      token: info,
      refreshAt: token === undefined ? undefined : this.#refreshAtFor(token),
      lastRefreshAt: this.#lastRefreshAt,
      lastError:
        failure === undefined
          ? undefined
          : { code: failure.error.code, message: failure.error.message, at: failure.at },
    };
  }

  on<T extends GoToAuthEventType>(type: T, listener: GoToAuthListener<T>): () => void {
    let set = this.#listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    const wrapped = listener as (event: GoToAuthEvent) => void;
    set.add(wrapped);
    return () => {
      set.delete(wrapped);
    };
  }

  #emit(event: GoToAuthEvent): void {
    for (const listener of [this.#o.onEvent, ...(this.#listeners.get(event.type) ?? [])]) {
      if (listener === undefined) continue;
      try {
        listener(event);
      } catch (error) {
        this.#o.logger.error?.(`[goto-auth] an event listener threw (${describe(error)}).`);
      }
    }
  }

  #warn(code: 'CREDENTIALS_CONTENDED' | 'STORE_UNAVAILABLE', message: string): void {
    this.#o.logger.warn?.(`[goto-auth] ${code}: ${message}`);
    this.#emit({ type: 'warning', code, message });
  }

  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#refreshAt = Number.NEGATIVE_INFINITY;
      if (this.#timer !== undefined) this.#o.timers.clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#closing.abort(closedError());
      this.#flight?.waiters.reject(closedError());
    }
    await this.#flight?.done;
  }

  toJSON(): Record<string, unknown> {
    return {
      baseUrl: this.baseUrl,
      clientId: this.#o.clientId,
      userId: this.#o.userId,
      state: this.status().state,
    };
  }

  [INSPECT](): string {
    return `GoToAuth ${JSON.stringify(this.toJSON())}`;
  }
}

function aborted(signal: AbortSignal): GoToAuthError {
  return new GoToAuthError('ABORTED', 'The wait for a GoTo token was aborted.', {
    cause: signal.reason,
  });
}

function withSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function withAttempts(error: GoToAuthError, attempts: number): GoToAuthError {
  return new GoToAuthError(error.code, `${error.message} (after ${attempts} attempts)`, {
    cause: error.cause,
    status: error.status,
    oauthError: error.oauthError,
    retryAfter: error.retryAfter,
    attempts,
    response: error.response,
  });
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message.slice(0, 200);
  return String(error).slice(0, 200);
}

/**
 * Creates a GoTo Direct Login token source.
 *
 * @throws {@link GoToAuthError} `INVALID_OPTIONS` or `INSECURE_ENDPOINT` for unusable options,
 * before any request
 *
 * @example
 * ```ts
 * const auth = createGoToAuth({
 *   clientId: process.env.GOTO_CLIENT_ID!,
 *   clientSecret: process.env.GOTO_CLIENT_SECRET,
 *   userId: process.env.GOTO_USER_ID!,
 *   password: process.env.GOTO_PASSWORD!,
 * });
 * const { accessToken } = await auth.getToken();
 * ```
 */
export function createGoToAuth(options: GoToAuthOptions): GoToAuth {
  return new TokenManager(options);
}
