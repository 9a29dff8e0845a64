import { GoToAuthError, isGoToAuthError } from './errors.js';
import type {
  GoToAuthEvent,
  GoToAuthEventType,
  GoToAuthListener,
  RefreshReason,
  TokenSource,
} from './events.js';
import { type Grant, redact, requestToken } from './grant.js';
import { type GoToAuthOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { backoff, cooldown } from './policy.js';
import { sha256, type TokenStoreEntry, type TokenStoreLock, tokenStoreKey } from './store.js';
import { keepAlive, sleep, type TimerHandle } from './timers.js';
import { type GoToToken, withoutRefreshToken, withPrevious } from './token.js';

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
  /**
   * Whether a token serves right now (unexpired and not rejected), whatever `state` says: a
   * token keeps serving while a refresh runs or after one failed.
   */
  serving: boolean;
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
        /**
         * When the next attempt is allowed, in epoch ms. After refused credentials this cool-down
         * doubles with each consecutive refusal (30 s up to 30 min), and only a caller starts it.
         */
        retryAt: number;
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

/** One refresh, shared by every caller that arrives while it runs. */
interface Flight {
  waiters: Deferred<GoToToken>;
  /** Callers waiting on `waiters`: while there are any, the flight's waits keep the process alive. */
  waiting: number;
  /** Set once an attempt failed while the old token still served: callers get the old token. */
  servingOld: boolean;
  /** The back-off, floor or lock-poll wait under way. */
  sleeping: TimerHandle | undefined;
  done: Promise<void>;
}

/** A token and where it came from; `version` is the store's, when the store holds it. */
interface Obtained {
  token: GoToToken;
  source: TokenSource;
  version: number | undefined;
}

/** The store's lock, or a token another holder delivered while we waited for it. */
type Held = TokenStoreLock | { entry: TokenStoreEntry };

/** The lock lost mid-hold (it expired or was taken): nothing was sent; start over. */
const LOST = Symbol('lost');

const NO_LOCK: TokenStoreLock = { release: async () => {} };
const REJECTED_MEMORY = 8;
/** The most a renewed lock outlasts its request by (room for the store write after it). */
const LOCK_ROOM_AFTER_REQUEST = 5_000;
/** A token rejected this soon after it was minted counts towards the contention warning. */
const QUICK_REJECTION_MS = 60_000;
const QUICK_REJECTIONS_TO_WARN = 3;
const WARNING_INTERVAL_MS = 5 * 60_000;
/** How long `close()` waits for work in flight (store calls it cannot cancel) before returning. */
const CLOSE_WAIT_MS = 1_000;
/** Lock losses in one refresh before it fails (retryably) instead of starting over again. */
const MAX_LOCK_LOSSES = 3;

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

function closedError(): GoToAuthError {
  return new GoToAuthError('CLOSED', 'This GoTo auth object was closed.');
}

/** Errors that say "this code is wrong", not "a service is down". */
function isBug(error: unknown): boolean {
  return (
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof ReferenceError ||
    error instanceof SyntaxError
  );
}

type WarningCode = Extract<GoToAuthEvent, { type: 'warning' }>['code'];

/** Whom a {@link TokenManager} holds tokens for, and how it mints one from nothing. */
export interface Credential {
  /** The store key: a hash that never carries a secret or a principal in clear. */
  key(): Promise<string>;
  /**
   * The grant that mints a token without a refresh token (Direct Login, a personal access
   * token); `undefined` for an OAuth principal, whose session only a sign-in starts: the store
   * is its truth, and without a usable refresh token there it needs `LOGIN_REQUIRED`.
   */
  mint: 'password' | 'personal_access_token' | undefined;
  /**
   * Whether a timer refreshes ahead of expiry. Principals refresh on their next call instead:
   * thousands of them set no timers.
   */
  schedule: boolean;
}

/** What the managers of one auth object share: listeners and the close signal. */
export interface Shared {
  readonly listeners: Map<GoToAuthEventType, Set<(event: GoToAuthEvent) => void>>;
  readonly closing: AbortController;
}

/** A new {@link Shared}. */
export function shared(): Shared {
  return { listeners: new Map(), closing: new AbortController() };
}

/** Adds `listener` to `shared`; returns its removal. */
export function listen<T extends GoToAuthEventType>(
  { listeners }: Shared,
  type: T,
  listener: GoToAuthListener<T>,
): () => void {
  let set = listeners.get(type);
  if (set === undefined) {
    set = new Set();
    listeners.set(type, set);
  }
  const wrapped = listener as (event: GoToAuthEvent) => void;
  set.add(wrapped);
  return () => {
    set.delete(wrapped);
  };
}

/**
 * Sends `event` to `onEvent` and the shared listeners; a listener that throws is logged (through
 * `describe`, which leaves secrets out) and never stops the others.
 */
export function emit(
  o: Pick<ResolvedOptions, 'onEvent' | 'logger'>,
  { listeners }: Shared,
  event: GoToAuthEvent,
  describe: (error: unknown) => string,
): void {
  for (const listener of [o.onEvent, ...(listeners.get(event.type) ?? [])]) {
    if (listener === undefined) continue;
    try {
      listener(event);
    } catch (error) {
      o.logger.error?.(`[goto-auth] an event listener threw (${describe(error)}).`);
    }
  }
}

/** The error for a principal without a usable session. */
export function loginRequired(message: string, cause?: GoToAuthError): GoToAuthError {
  return new GoToAuthError('LOGIN_REQUIRED', message, {
    cause,
    status: cause?.status,
    oauthError: cause?.oauthError,
  });
}

/** A store key for Direct Login or a personal access token (the token hashed on its own first). */
function credentialKey(o: ResolvedOptions): Promise<string> {
  const { baseUrl, clientId, userId, personalAccessToken } = o;
  return personalAccessToken === undefined
    ? tokenStoreKey({ baseUrl, clientId, userId: userId as string })
    : sha256(personalAccessToken).then((hash) =>
        tokenStoreKey({ baseUrl, clientId, userId: `personal-access-token:${hash}` }),
      );
}

/**
 * One credential's tokens: the cache, single flight, refresh, store and lock. `createGoToAuth`
 * makes one; `createGoToOAuth` makes one per principal, sharing listeners and the close signal.
 */
export class TokenManager implements GoToAuth {
  readonly #o: ResolvedOptions;
  readonly #now: () => number;
  readonly #cred: Credential;
  readonly #shared: Shared;
  readonly #closing: AbortController;

  #token: GoToToken | undefined;
  /** Set with `#refreshAt`, so the hot path never meets it undefined. */
  #tokenPromise: Promise<GoToToken> | undefined;
  /** The hot path's only test: a cached token serves while `now < #refreshAt`. */
  #refreshAt = Number.NEGATIVE_INFINITY;
  #flight: Flight | undefined;
  #timer: TimerHandle | undefined;
  #key: Promise<string> | undefined;
  /** Access tokens GoTo rejected, newest last. */
  #rejected: string[] = [];
  /** Refresh tokens that failed for a reason a retry will not fix. */
  #deadRefreshTokens: string[] = [];
  #pendingReason: RefreshReason | undefined;
  #lastGrantAt = Number.NEGATIVE_INFINITY;
  #quickRejections = 0;
  #lastWarningAt = Number.NEGATIVE_INFINITY;
  #failure: { error: GoToAuthError; until: number; at: number } | undefined;
  /** Consecutive refreshes that failed for a reason a retry will not fix. */
  #refusals = 0;
  #lastLoggedCode: string | undefined;
  #lastRefreshAt: number | undefined;
  #refreshUnavailableWarned = false;
  /** Fields already warned about; made on the first such warning (most managers never need it). */
  #droppedFieldsWarned: Set<string> | undefined;
  #closed = false;

  constructor(options: ResolvedOptions, credential: Credential, context: Shared = shared()) {
    this.#o = options;
    this.#now = options.now;
    this.#cred = credential;
    this.#shared = context;
    this.#closing = context.closing;
  }

  /** Set on use by a bounded cache of managers (second-chance eviction); unused otherwise. */
  recent = false;

  /** Whether a refresh runs: such a manager is not dropped from a bounded cache. */
  get busy(): boolean {
    return this.#flight !== undefined;
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

  /** Whether `token` can be handed out now: unexpired and not rejected by GoTo. */
  #serves(token: GoToToken | undefined, now: number): token is GoToToken {
    return (
      token !== undefined && now < token.expiresAt && !this.#rejected.includes(token.accessToken)
    );
  }

  #slowPath(signal: AbortSignal | undefined): Promise<GoToToken> {
    if (this.#closed) return Promise.reject(closedError());
    if (signal?.aborted) return Promise.reject(aborted(signal));
    const now = this.#now();
    const current = this.#token;
    const serves = this.#serves(current, now);

    let flight = this.#flight;
    if (flight === undefined) {
      const failure = this.#failure;
      if (failure !== undefined && now < failure.until) {
        return serves ? Promise.resolve(current) : Promise.reject(failure.error);
      }
      flight = this.#startFlight(this.#reason(now));
    }
    if (serves && flight.servingOld) return Promise.resolve(current);
    flight.waiting++;
    // Someone awaits this refresh now: its waits must keep the process alive.
    if (flight.sleeping !== undefined) keepAlive(flight.sleeping, true);
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
    const flight: Flight = {
      waiters: deferred(),
      waiting: 0,
      servingOld: false,
      sleeping: undefined,
      done: Promise.resolve(),
    };
    this.#flight = flight;
    flight.done = this.#run(flight, reason);
    return flight;
  }

  async #run(flight: Flight, reason: RefreshReason): Promise<void> {
    // Cleared before waiters resume, so a caller that acts on the result starts afresh.
    const end = () => {
      if (this.#flight === flight) this.#flight = undefined;
    };
    for (let attempt = 1; ; attempt++) {
      try {
        const obtained = await this.#attempt(flight, reason);
        this.#checkOpen();
        end();
        this.#adopt(obtained, reason);
        flight.waiters.resolve(obtained.token);
        return;
      } catch (caught) {
        if (this.#closed) {
          end();
          flight.waiters.reject(closedError());
          return;
        }
        const error = this.#toError(caught);
        // An ended session serves nothing, not even an access token that has not expired.
        if (error.code === 'LOGIN_REQUIRED') this.#drop();
        const now = this.#now();
        const retryIn =
          attempt <= this.#o.retry.limit ? backoff(attempt, error, this.#o.retry) : undefined;
        this.#emit({
          type: 'refresh-failed',
          code: error.code,
          message: error.message,
          attempt,
          retryIn,
        });
        const current = this.#token;
        const oldServes = this.#serves(current, now);

        if (retryIn === undefined) {
          const failed = attempt > 1 ? withAttempts(error, attempt) : error;
          end();
          const until = this.#fail(failed, now, attempt);
          if (oldServes) {
            flight.waiters.resolve(current);
            // Transient trouble: try again when the cool-down ends, while the old token serves.
            // A refused credential is never retried by a timer: a caller must ask.
            if (failed.retryable) this.#schedule(until);
          } else {
            flight.waiters.reject(failed);
          }
          return;
        }
        if (oldServes && !flight.servingOld) {
          flight.servingOld = true;
          flight.waiters.resolve(current);
          flight.waiters = deferred();
          flight.waiting = 0;
        }
        try {
          await this.#sleep(flight, retryIn);
        } catch {
          end();
          flight.waiters.reject(closedError());
          return;
        }
      }
    }
  }

  /** Records a refresh that failed for good; returns when the next attempt may start. */
  #fail(error: GoToAuthError, now: number, attempts: number): number {
    // A sign-in elsewhere may start a new session at any time: the next call looks again.
    const login = error.code === 'LOGIN_REQUIRED';
    if (!error.retryable && !login) this.#refusals++;
    const wait = login
      ? 0
      : cooldown(error, attempts, this.#refusals, this.#o.retry, this.#o.minGrantInterval);
    this.#failure = { error, until: now + wait, at: now };
    // A user who must sign in again is a state of that user, not something to log.
    if (!login && this.#lastLoggedCode !== error.code) {
      this.#lastLoggedCode = error.code;
      const log = error.retryable ? this.#o.logger.warn : this.#o.logger.error;
      log?.call(this.#o.logger, `[goto-auth] ${error.code}: ${error.message}`);
    }
    return now + wait;
  }

  /**
   * One attempt at a token: the store first; then, under the store's lock, the store again and
   * a grant only when it still has nothing usable.
   */
  async #attempt(flight: Flight, reason: RefreshReason): Promise<Obtained> {
    const key = await this.#storeKey();
    // After a rejection the next grant waits for the floor, but the store is read first, at once.
    let floor = reason === 'rejected';
    for (let losses = 0; ; ) {
      const entry = await this.#storeGet(key);
      const stored = this.#usable(entry);
      if (stored !== undefined) return fromStore(stored);
      if (this.#cred.mint === undefined && this.#refreshable(entry?.token) === undefined) {
        throw loginRequired('No session for this principal: sign the user in again.');
      }
      if (floor) {
        floor = false;
        const wait = this.#lastGrantAt + this.#o.minGrantInterval - this.#now();
        if (wait > 0) {
          await this.#sleep(flight, wait);
          continue;
        }
      }
      const held = await this.#acquire(flight, key);
      if ('entry' in held) return fromStore(held.entry);
      try {
        const latest = await this.#storeGet(key);
        const delivered = this.#usable(latest);
        if (delivered !== undefined) return fromStore(delivered);
        const minted = await this.#grant(held, key, latest);
        if (minted === LOST) {
          if (++losses >= MAX_LOCK_LOSSES) {
            throw new GoToAuthError('TIMEOUT', 'Lost the refresh lock repeatedly before a grant.');
          }
          continue;
        }
        const version = await this.#storeSet(key, minted.token, latest?.version);
        if (version !== false) return { ...minted, version };
        // Another process wrote after our read (we had lost the lock): its token is the one
        // every other process uses now, so take it.
        const newer = this.#usable(await this.#storeGet(key).catch(() => undefined));
        return newer !== undefined ? fromStore(newer) : { ...minted, version: undefined };
      } finally {
        await held.release().catch((error: unknown) => {
          this.#warn(
            'STORE_UNAVAILABLE',
            `The token store failed on release (${this.#describe(error)}).`,
          );
        });
      }
    }
  }

  /** Takes the store's lock, or waits for the token of the process that holds it. */
  async #acquire(flight: Flight, key: string): Promise<Held> {
    const { store, lockTtl, lockPollInterval, timeout } = this.#o;
    const started = this.#now();
    // A holder may renew its lock through two requests of up to `timeout` each; one that dies
    // leaves a lock that lasts one renewal at most. Wait for the worst of both, with room to spare.
    const patience = 2 * (this.#renewal() + timeout);
    const deadline = started + patience;
    const ended = (outcome: 'acquired' | 'delivered' | 'timeout' | 'unavailable') =>
      this.#emit({ type: 'lock', outcome, waitMs: this.#now() - started });
    for (;;) {
      let lock: TokenStoreLock | undefined;
      try {
        lock = await store.lock(key, lockTtl);
      } catch (error) {
        this.#checkOpen();
        ended('unavailable');
        const failure = this.#storeFailure('lock', error);
        if (failure !== undefined) throw failure;
        return NO_LOCK;
      }
      if (this.#closed) {
        // Not ours to keep: a closed object sends no grant.
        lock?.release().catch(() => {});
        throw closedError();
      }
      if (lock !== undefined) {
        ended('acquired');
        return lock;
      }
      if (this.#now() > deadline) {
        ended('timeout');
        throw new GoToAuthError(
          'TIMEOUT',
          `Waited ${patience} ms for another process to finish refreshing the token.`,
        );
      }
      // Another process is refreshing: wait for its token rather than mint our own.
      if (store.waitForChange !== undefined) await store.waitForChange(key, lockPollInterval);
      else await this.#sleep(flight, lockPollInterval);
      this.#checkOpen();
      const stored = this.#usable(await this.#storeGet(key));
      if (stored !== undefined) {
        ended('delivered');
        return { entry: stored };
      }
    }
  }

  /**
   * Mints a token under the lock: the refresh grant while a refresh token lives, and one
   * password grant when it fails for a reason a retry will not fix.
   */
  async #grant(
    held: TokenStoreLock,
    key: string,
    latest: TokenStoreEntry | undefined,
  ): Promise<Omit<Obtained, 'version'> | typeof LOST> {
    const previous = this.#refreshable(latest?.token);
    if (previous?.refreshToken !== undefined) {
      if (!(await this.#extend(held))) return LOST;
      const used = previous.refreshToken;
      try {
        const fresh = await this.#request({ type: 'refresh_token', refreshToken: used });
        this.#refreshUnavailableWarned = false;
        // GoTo's /oauth/token answers a refresh without a refresh token (the old one lives on),
        // and without the account facts of the password grant: keep both.
        return { token: withPrevious(fresh, previous), source: 'refresh_token' };
      } catch (error) {
        if (!isGoToAuthError(error) || error.retryable || error.code === 'CLOSED') throw error;
        if (this.#cred.mint === undefined) {
          // A principal has no fallback grant. Only a refused refresh token ends its session;
          // a refused client or a gone endpoint is the app's trouble, not the user's.
          if (error.code !== 'REFRESH_TOKEN_REJECTED') throw error;
          this.#deadRefreshTokens.push(used);
          if (this.#deadRefreshTokens.length > REJECTED_MEMORY) this.#deadRefreshTokens.shift();
          // Compare-and-set: a sign-in written since our read stays.
          const ended = { ...withoutRefreshToken(previous), expiresAt: this.#now() };
          await this.#storeSet(key, ended, latest?.version).catch(() => {});
          throw loginRequired(
            "GoTo refused this principal's refresh token (invalid_grant): sign the user in again.",
            error,
          );
        }
        // Spent, revoked, refused client, or an endpoint that is gone: this refresh token will
        // not work again. Drop it and fall back to one password grant.
        this.#deadRefreshTokens.push(used);
        if (this.#deadRefreshTokens.length > REJECTED_MEMORY) this.#deadRefreshTokens.shift();
        this.#emit({
          type: 'refresh-failed',
          code: error.code,
          message: error.message,
          attempt: 1,
          retryIn: 0,
        });
        if (!this.#refreshUnavailableWarned) {
          this.#refreshUnavailableWarned = true;
          this.#warn(
            'REFRESH_UNAVAILABLE',
            `The refresh grant failed (${error.code}${error.status === undefined ? '' : `, HTTP ${error.status}`}); the refresh token was dropped for one password grant.`,
            error.status,
          );
        }
      }
    }
    const mint = this.#cred.mint;
    if (mint === undefined) {
      throw loginRequired('No session for this principal: sign the user in again.');
    }
    if (!(await this.#extend(held))) return LOST;
    try {
      return { token: await this.#request({ type: mint }), source: mint };
    } catch (error) {
      // Leave no dead refresh token in the store for the other processes to try.
      const stored = latest?.token;
      if (
        stored?.refreshToken !== undefined &&
        this.#deadRefreshTokens.includes(stored.refreshToken)
      ) {
        await this.#storeSet(key, withoutRefreshToken(stored), latest?.version).catch(() => {});
      }
      throw error;
    }
  }

  /** The newest token whose refresh token may still work: the store's first, then ours. */
  #refreshable(stored: GoToToken | undefined): GoToToken | undefined {
    if (this.#o.clientSecret === undefined) return undefined;
    const now = this.#now();
    // A principal's session lives in the store: a refresh token only this process remembers
    // may belong to a session signed out elsewhere.
    for (const candidate of this.#cred.mint === undefined ? [stored] : [stored, this.#token]) {
      const refreshToken = candidate?.refreshToken;
      if (
        refreshToken !== undefined &&
        now < (candidate?.refreshTokenExpiresAt ?? 0) &&
        !this.#deadRefreshTokens.includes(refreshToken)
      ) {
        return candidate;
      }
    }
    return undefined;
  }

  /**
   * Renews the lock before a request, when the store can, for long enough to outlast it: the
   * request may take `timeout`, and the store write after it must land under the lock too, or a
   * waiter would take the lapsed lock, find no new token and mint a second one.
   * @returns `false` when the lock was lost
   */
  async #extend(held: TokenStoreLock): Promise<boolean> {
    if (held.extend === undefined) return true;
    let owned: boolean;
    try {
      owned = await held.extend(this.#renewal());
    } catch (error) {
      this.#checkOpen();
      const failure = this.#storeFailure('extend', error);
      if (failure !== undefined) throw failure;
      return true;
    }
    this.#checkOpen();
    return owned;
  }

  /**
   * How long a renewal makes the lock last: `lockTtl`, or if longer the request's `timeout` and
   * room for the write after it (`lockTtl` again, at most 5 s).
   */
  #renewal(): number {
    const { lockTtl, timeout } = this.#o;
    return Math.max(lockTtl, timeout + Math.min(lockTtl, LOCK_ROOM_AFTER_REQUEST));
  }

  async #request(grant: Grant): Promise<GoToToken> {
    this.#checkOpen();
    const startedAt = this.#now();
    this.#lastGrantAt = startedAt;
    const ended = (outcome: 'success' | 'failure', error?: GoToAuthError) =>
      this.#emit({
        type: 'request',
        grant: grant.type,
        outcome,
        code: error?.code,
        status: error === undefined ? 200 : error.status,
        startedAt,
        durationMs: this.#now() - startedAt,
      });
    let parsed: Awaited<ReturnType<typeof requestToken>>;
    try {
      parsed = await requestToken(this.#o, grant, this.#closing.signal, [
        ...this.#secrets(),
        grant.type === 'refresh_token' ? grant.refreshToken : undefined,
      ]);
    } catch (error) {
      const failure = this.#toError(error);
      if (failure.code !== 'CLOSED') ended('failure', failure);
      throw failure;
    }
    ended('success');
    this.#droppedFieldsWarned ??= new Set();
    const warned = this.#droppedFieldsWarned;
    const fresh = parsed.dropped.filter((field) => !warned.has(field));
    if (fresh.length > 0) {
      for (const field of fresh) warned.add(field);
      this.#warn(
        'RESPONSE_FIELD_DROPPED',
        `GoTo's token response had ${fresh.map((field) => `"${field}"`).join(', ')} of an unexpected type; dropped, the token is kept.`,
      );
    }
    return parsed.token;
  }

  /** The stored entry when this process may use it: not rejected, and not yet due for refresh. */
  #usable(entry: TokenStoreEntry | undefined): TokenStoreEntry | undefined {
    return entry !== undefined &&
      !this.#rejected.includes(entry.token.accessToken) &&
      this.#now() < this.#refreshAtFor(entry.token)
      ? entry
      : undefined;
  }

  #refreshAtFor(token: GoToToken): number {
    const lifetime = token.expiresAt - token.issuedAt;
    return token.expiresAt - Math.min(this.#o.refreshMargin, lifetime / 4);
  }

  #adopt({ token, source }: Obtained, reason: RefreshReason): void {
    // A rejection reported while this refresh ran is answered by its token.
    this.#pendingReason = undefined;
    this.#token = token;
    this.#tokenPromise = Promise.resolve(token);
    this.#refreshAt = this.#refreshAtFor(token);
    this.#failure = undefined;
    this.#refusals = 0;
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
    if (!this.#cred.schedule) return;
    const { timers } = this.#o;
    if (this.#timer !== undefined) timers.clearTimeout(this.#timer);
    this.#timer = timers.setTimeout(() => {
      this.#timer = undefined;
      // A late timer is harmless: getToken() checks the clock itself.
      if (!this.#closed && this.#flight === undefined) this.#startFlight(this.#reason(this.#now()));
    }, at - this.#now());
  }

  /** A wait inside a refresh; it keeps the process alive only while a caller awaits the flight. */
  #sleep(flight: Flight, ms: number): Promise<void> {
    return sleep(this.#o.timers, ms, this.#closing.signal, (handle) => {
      flight.sleeping = handle;
      if (handle !== undefined && flight.waiting > 0) keepAlive(handle, true);
    });
  }

  #checkOpen(): void {
    if (this.#closed) throw closedError();
  }

  #storeKey(): Promise<string> {
    this.#key ??= this.#cred.key();
    return this.#key;
  }

  async #storeGet(key: string): Promise<TokenStoreEntry | undefined> {
    let entry: TokenStoreEntry | undefined;
    try {
      entry = await this.#o.store.get(key);
    } catch (error) {
      this.#checkOpen();
      const failure = this.#storeFailure('get', error);
      if (failure !== undefined) throw failure;
      return undefined;
    }
    this.#checkOpen();
    return entry;
  }

  /**
   * Writes the token unless another process wrote since `expected` was read.
   *
   * @returns the new version; `false` when another write came first; `undefined` when the
   * store failed (the token is kept: it already revoked the old one at GoTo)
   */
  async #storeSet(
    key: string,
    token: GoToToken,
    expected: number | undefined,
  ): Promise<number | false | undefined> {
    const ttl =
      Math.max(token.refreshTokenExpiresAt ?? token.expiresAt, token.expiresAt) - this.#now();
    let version: number | undefined;
    try {
      version = await this.#o.store.set(key, token, Math.max(1, ttl), expected);
    } catch (error) {
      this.#warn(
        'STORE_UNAVAILABLE',
        `Could not save the new token to the store (${this.#describe(error)}).`,
      );
      return undefined;
    }
    this.#checkOpen();
    return version ?? false;
  }

  /**
   * Decides what a store failure means, and says so rather than throwing: with
   * `onStoreError: 'local'` a warning and `undefined` (the refresh goes on without the store);
   * otherwise the error the refresh fails with: `STORE_ERROR` (retried), or `UNEXPECTED_ERROR`
   * when the store threw what looks like a bug (not retried).
   */
  #storeFailure(operation: string, error: unknown): GoToAuthError | undefined {
    const message = `The token store failed on ${operation} (${this.#describe(error)}).`;
    if (this.#o.onStoreError === 'local') {
      this.#warn('STORE_UNAVAILABLE', message);
      return undefined;
    }
    if (isGoToAuthError(error) && error.code !== 'STORE_ERROR') return error;
    return new GoToAuthError(isBug(error) ? 'UNEXPECTED_ERROR' : 'STORE_ERROR', message, {
      cause: this.#safeCause(error),
    });
  }

  /** Any failure as a GoToAuthError; what is not one already is a bug, not retried. */
  #toError(error: unknown): GoToAuthError {
    if (isGoToAuthError(error)) return error;
    return new GoToAuthError(
      'UNEXPECTED_ERROR',
      `Unexpected failure while getting a token (${this.#describe(error)}).`,
      { cause: this.#safeCause(error) },
    );
  }

  /** `error` as a cause, unless its text carries a secret this object knows. */
  #safeCause(error: unknown): unknown {
    const text = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
    return redact(text, this.#secrets()) === text ? error : undefined;
  }

  #secrets(): (string | undefined)[] {
    return [
      this.#o.password,
      this.#o.personalAccessToken,
      this.#o.clientSecret,
      this.#token?.accessToken,
      this.#token?.refreshToken,
    ];
  }

  /** An error's message, without any secret this object knows, for a message of ours. */
  #describe(error: unknown): string {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return redact(text, this.#secrets()).slice(0, 200);
  }

  /** Forgets the token in memory, so nothing serves it. */
  #drop(): void {
    this.#token = undefined;
    this.#tokenPromise = undefined;
    this.#refreshAt = Number.NEGATIVE_INFINITY;
  }

  /**
   * Takes a token minted outside a refresh (an authorization code's): writes it to the store
   * (compare-and-set, so it replaces whatever was there) and serves it.
   */
  async seed(token: GoToToken): Promise<void> {
    this.#checkOpen();
    const key = await this.#storeKey();
    let version: number | undefined;
    for (let tries = 0; tries < 3; tries++) {
      const latest = await this.#storeGet(key);
      const written = await this.#storeSet(key, token, latest?.version);
      if (written !== false) {
        version = written;
        break;
      }
    }
    this.#adopt({ token, source: 'authorization_code', version }, 'initial');
  }

  /** Forgets this principal's session in memory: the token, its rejections and any failure. */
  forget(): void {
    this.#drop();
    this.#failure = undefined;
    this.#pendingReason = undefined;
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
    // Transient trouble may be over; a refused credential stays refused for its cool-down.
    if (this.#failure?.error.retryable) this.#failure = undefined;
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
    const serving = this.#serves(token, now);
    const failure = this.#failure;
    return {
      state: this.#closed
        ? 'closed'
        : this.#flight !== undefined
          ? 'refreshing'
          : serving
            ? 'valid'
            : token === undefined
              ? 'empty'
              : 'expired',
      serving: serving && !this.#closed,
      token: info,
      refreshAt: token === undefined ? undefined : this.#refreshAtFor(token),
      lastRefreshAt: this.#lastRefreshAt,
      lastError:
        failure === undefined
          ? undefined
          : {
              code: failure.error.code,
              message: failure.error.message,
              at: failure.at,
              retryAt: failure.until,
            },
    };
  }

  on<T extends GoToAuthEventType>(type: T, listener: GoToAuthListener<T>): () => void {
    return listen(this.#shared, type, listener);
  }

  #emit(event: GoToAuthEvent): void {
    emit(this.#o, this.#shared, event, (error) => this.#describe(error));
  }

  #warn(code: WarningCode, message: string, status?: number): void {
    this.#o.logger.warn?.(`[goto-auth] ${code}: ${message}`);
    this.#emit(
      status === undefined
        ? { type: 'warning', code, message }
        : { type: 'warning', code, message, status },
    );
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
    const flight = this.#flight;
    if (flight === undefined) return;
    // A store call cannot be cancelled; nothing is sent after it, so do not wait long for it.
    const { timers } = this.#o;
    let handle: TimerHandle | undefined;
    await Promise.race([
      flight.done,
      new Promise<void>((resolve) => {
        handle = timers.setTimeout(resolve, CLOSE_WAIT_MS);
      }),
    ]);
    timers.clearTimeout(handle);
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

function fromStore(entry: TokenStoreEntry): Obtained {
  return { token: entry.token, source: 'store', version: entry.version };
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
  const resolved = resolveOptions(options);
  return new TokenManager(resolved, {
    key: () => credentialKey(resolved),
    mint: resolved.personalAccessToken === undefined ? 'password' : 'personal_access_token',
    schedule: true,
  });
}
