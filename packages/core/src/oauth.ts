import { GoToAuthError, isGoToAuthError } from './errors.js';
import type { GoToAuthEvent, GoToAuthEventType, GoToAuthListener } from './events.js';
import { redact, requestToken } from './grant.js';
import {
  type GoToOAuthOptions,
  type ResolvedOAuthOptions,
  resolveOAuthOptions,
} from './options.js';
import { tokenStoreKey } from './store.js';
import type { GoToToken } from './token.js';
import {
  emit,
  type GetTokenOptions,
  type GoToAuth,
  type GoToAuthStatus,
  listen,
  loginRequired,
  type Shared,
  shared,
  TokenManager,
} from './token-manager.js';

/** Options of {@link GoToOAuth.authorizationUrl}. */
export interface AuthorizationUrlOptions {
  /** The scopes to ask for, space-separated or as a list. GoTo uses the client's scopes when absent. */
  scope?: string | readonly string[];
  /** A `state` of your own; by default a fresh random one (32 bytes, base64url). */
  state?: string;
  /** More query parameters for GoTo's authorize endpoint (for example `login_hint`). */
  params?: Readonly<Record<string, string>>;
}

/** What {@link GoToOAuth.handleCallback} checks the callback against. */
export interface CallbackChecks {
  /** The `state` that {@link GoToOAuth.authorizationUrl} returned for this browser's sign-in. */
  state: string | undefined;
}

/** A signed-in user: who GoTo says they are, and their token. */
export interface GoToSignIn {
  /** The user GoTo named in the token answer (`principal`, usually an email address). */
  principal: string;
  /** The user's token; the refresh token stays server-side in the store. */
  token: GoToToken;
}

/**
 * GoTo's authorization code grant for many users: sign-in, then a cached, single-flight token
 * per principal, refreshed on demand through the store and its lock (the machinery of
 * {@link createGoToAuth}, one manager per principal). Create one per OAuth client with
 * {@link createGoToOAuth} and keep it for the process's life.
 */
export interface GoToOAuth {
  /** GoTo's API origin (`baseUrl`), for adapters that attach tokens to API calls. */
  readonly baseUrl: string;
  /** GoTo's authentication origin (`authUrl`). */
  readonly authUrl: string;
  /** Whether `close()` was called. */
  readonly closed: boolean;
  /**
   * The URL to send the browser to, and the `state` to keep (in a signed, short-lived cookie
   * or the session) and give back to {@link GoToOAuth.handleCallback}.
   */
  authorizationUrl(options?: AuthorizationUrlOptions): {
    /** GoTo's authorization URL: send the browser there. */
    url: string;
    /** The `state` in that URL, to check the callback against. */
    state: string;
  };
  /**
   * Completes a sign-in: checks `state`, exchanges the code once (HTTP Basic, `redirect_uri`
   * repeated) and stores the tokens under the principal GoTo names.
   *
   * @param callbackUrl - the URL GoTo redirected to, absolute or as a path with its query
   * @throws {@link GoToAuthError} `STATE_MISMATCH` (missing or different `state`),
   * `ACCESS_DENIED` (the user refused), `INVALID_CALLBACK` (no code, another error, or a code
   * GoTo refused): none of them sends a request. Token endpoint failures as for `getToken`.
   */
  handleCallback(callbackUrl: string | URL, checks: CallbackChecks): Promise<GoToSignIn>;
  /**
   * The principal's token: cached (one clock read), else one refresh per principal across
   * processes, through the store.
   *
   * @throws {@link GoToAuthError} `LOGIN_REQUIRED` when the principal has no session (never
   * signed in, signed out, or GoTo refused the refresh token); others as for `GoToAuth.getToken`
   */
  getToken(principal: string, options?: GetTokenOptions): Promise<GoToToken>;
  /** The principal's fresh token when memory holds one, else `undefined`. No I/O. */
  cachedToken(principal: string): GoToToken | undefined;
  /**
   * Says GoTo rejected the principal's `accessToken`; as `GoToAuth.invalidate`.
   * @returns whether the current token was dropped
   */
  invalidate(principal: string, accessToken: string): boolean;
  /** Forgets the principal's tokens in memory and in the store. */
  signOut(principal: string): Promise<void>;
  /** The principal's state in this process (no I/O, no secret). */
  status(principal: string): GoToAuthStatus;
  /**
   * One principal's tokens shaped like {@link GoToAuth}, for integrations that take a token
   * source (`goToFetch`, `goToKy`, `goToAuthHooks`, axios). Its `close()` does nothing: the
   * OAuth object owns the work.
   */
  forPrincipal(principal: string): GoToAuth;
  /**
   * Listens to one kind of event, of every principal. Events never name a principal.
   * @returns a function that removes the listener
   */
  on<T extends GoToAuthEventType>(type: T, listener: GoToAuthListener<T>): () => void;
  /** Stops in-flight work. Later calls fail with `CLOSED`. */
  close(): Promise<void>;
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * What the sign-in flow (`createSignInFlow`) needs of a `GoToOAuth` and nobody else gets: the
 * redirect URI, the clock, and a signing key derived from the client secret (the secret itself
 * never leaves the object: the key is a non-extractable `CryptoKey`).
 *
 * Reached through a registered symbol rather than a module-private map, so a `GoToOAuth` made by
 * another copy of core (an ES module app with a CommonJS adapter) still works.
 *
 * @internal
 */
export const SIGN_IN_INTERNALS: unique symbol = Symbol.for('goto-auth.oauth.sign-in');

/** @internal */
export interface SignInInternals {
  /** The redirect URI, as configured. */
  redirectUri: string;
  /** The client's clock (epoch ms). */
  now: () => number;
  /** An HMAC-SHA256 key, derived once (HKDF-SHA256) from the client secret and client id. */
  stateKey(): Promise<CryptoKey>;
}

const STATE_KEY_SALT = 'goto-auth sign-in state';
const STATE_KEY_INFO = 'goto-auth sign-in state cookie v1';

function deriveStateKey(clientSecret: string, clientId: string): Promise<CryptoKey> {
  const utf8 = new TextEncoder();
  return crypto.subtle
    .importKey('raw', utf8.encode(clientSecret), 'HKDF', false, ['deriveKey'])
    .then((material) =>
      crypto.subtle.deriveKey(
        {
          name: 'HKDF',
          hash: 'SHA-256',
          salt: utf8.encode(STATE_KEY_SALT),
          info: utf8.encode(`${STATE_KEY_INFO}\n${clientId}`),
        },
        material,
        { name: 'HMAC', hash: 'SHA-256', length: 256 },
        false,
        ['sign', 'verify'],
      ),
    );
}

function randomState(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Compares two strings in time that depends on their lengths only.
 * @internal
 */
export function same(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function checkPrincipal(principal: unknown): asserts principal is string {
  if (typeof principal !== 'string' || principal === '') {
    throw loginRequired('No principal given: sign the user in with GoTo first.');
  }
}

class OAuthClient implements GoToOAuth {
  readonly #o: ResolvedOAuthOptions;
  readonly #shared: Shared = shared();
  /** Principals' managers, least recently used first. */
  readonly #slots = new Map<string, TokenManager>();
  #closed = false;
  #stateKey: Promise<CryptoKey> | undefined;

  constructor(options: GoToOAuthOptions) {
    const o = resolveOAuthOptions(options);
    this.#o = o;
    // Own, non-enumerable properties rather than class members with computed keys: such a
    // member keeps the whole class in a bundle that never uses it (an app of createGoToAuth).
    Object.defineProperties(this, {
      [SIGN_IN_INTERNALS]: {
        value: (): SignInInternals => ({
          redirectUri: o.redirectUri,
          now: o.now,
          stateKey: () => {
            this.#stateKey ??= deriveStateKey(o.clientSecret, o.clientId);
            return this.#stateKey;
          },
        }),
      },
      [INSPECT]: { value: () => `GoToOAuth ${JSON.stringify(this.toJSON())}` },
    });
  }

  get baseUrl(): string {
    return this.#o.baseUrl;
  }

  get authUrl(): string {
    return this.#o.authUrl;
  }

  get closed(): boolean {
    return this.#closed;
  }

  authorizationUrl(options: AuthorizationUrlOptions = {}): { url: string; state: string } {
    const state = options.state ?? randomState();
    if (typeof state !== 'string' || state === '') {
      throw new GoToAuthError(
        'INVALID_OPTIONS',
        'authorizationUrl: "state" must be a non-empty string.',
      );
    }
    const url = new URL(this.#o.authorizeUrl);
    const query = url.searchParams;
    for (const [name, value] of Object.entries(options.params ?? {})) query.set(name, value);
    query.set('client_id', this.#o.clientId);
    query.set('response_type', 'code');
    query.set('redirect_uri', this.#o.redirectUri);
    query.set('state', state);
    const scope = typeof options.scope === 'string' ? options.scope : options.scope?.join(' ');
    if (scope !== undefined && scope !== '') query.set('scope', scope);
    return { url: url.href, state };
  }

  async handleCallback(callbackUrl: string | URL, checks: CallbackChecks): Promise<GoToSignIn> {
    if (this.#closed) throw closedError();
    const url = new URL(callbackUrl, this.#o.redirectUri);
    const query = url.searchParams;
    const state = query.get('state');
    const expected = checks?.state;
    if (
      typeof expected !== 'string' ||
      expected === '' ||
      state === null ||
      !same(state, expected)
    ) {
      throw new GoToAuthError(
        'STATE_MISMATCH',
        "The callback's state is missing or is not this sign-in's: start the sign-in again.",
      );
    }
    const error = query.get('error');
    if (error !== null) {
      const said = this.#scrub(error, 64);
      const description = query.get('error_description');
      const detail = description === null ? '' : `: ${this.#scrub(description, 200)}`;
      if (error === 'access_denied') {
        throw new GoToAuthError(
          'ACCESS_DENIED',
          `The user refused the sign-in (access_denied)${detail}.`,
          {
            oauthError: error,
          },
        );
      }
      throw new GoToAuthError(
        'INVALID_CALLBACK',
        `GoTo ended the sign-in with "${said}"${detail}.`,
        {
          oauthError: said,
        },
      );
    }
    const code = query.get('code');
    if (code === null || code === '') {
      throw new GoToAuthError('INVALID_CALLBACK', 'The callback carries no authorization code.');
    }
    const token = await this.#exchange(code);
    // close() may have come while the answer was read: a closed object keeps no session.
    if (this.#closed) throw closedError();
    const principal = token.principal;
    // (An empty one reads as none: token facts are never empty strings.)
    if (principal === undefined) {
      throw new GoToAuthError(
        'INVALID_RESPONSE',
        "GoTo's answer to the code exchange names no principal.",
      );
    }
    const slot = this.#slot(principal);
    // A new session starts clean: no rejection or failure of an old one carries over.
    slot.forget();
    await slot.seed(token);
    return { principal, token };
  }

  /** One code exchange: never retried, a code is single use. */
  async #exchange(code: string): Promise<GoToToken> {
    const o = this.#o;
    const startedAt = o.now();
    const ended = (error?: GoToAuthError) =>
      this.#emit({
        type: 'request',
        grant: 'authorization_code',
        outcome: error === undefined ? 'success' : 'failure',
        code: error?.code,
        status: error === undefined ? 200 : error.status,
        startedAt,
        durationMs: o.now() - startedAt,
      });
    try {
      const parsed = await requestToken(
        o,
        { type: 'authorization_code', code, redirectUri: o.redirectUri },
        this.#shared.closing.signal,
        [o.clientSecret, code],
      );
      ended();
      return parsed.token;
    } catch (caught) {
      const error = isGoToAuthError(caught)
        ? caught
        : new GoToAuthError('UNEXPECTED_ERROR', 'The code exchange failed unexpectedly.');
      if (error.code !== 'CLOSED') ended(error);
      throw error;
    }
  }

  getToken(principal: string, options?: GetTokenOptions): Promise<GoToToken> {
    const slot = this.#slots.get(principal);
    if (slot !== undefined) {
      // Second chance (CLOCK): one field write here; eviction moves used entries to the back.
      slot.recent = true;
      return slot.getToken(options);
    }
    try {
      checkPrincipal(principal);
      if (this.#closed) throw closedError();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#slot(principal).getToken(options);
  }

  cachedToken(principal: string): GoToToken | undefined {
    return this.#slots.get(principal)?.cachedToken();
  }

  invalidate(principal: string, accessToken: string): boolean {
    const slot = this.#slots.get(principal);
    return slot?.invalidate(accessToken) ?? false;
  }

  async signOut(principal: string): Promise<void> {
    checkPrincipal(principal);
    if (this.#closed) throw closedError();
    const slot = this.#slots.get(principal);
    this.#slots.delete(principal);
    slot?.forget();
    const key = await this.#key(principal);
    try {
      await this.#o.store.delete(key);
    } catch (error) {
      throw new GoToAuthError(
        'STORE_ERROR',
        `The token store failed on delete (${this.#describe(error)}).`,
      );
    }
  }

  status(principal: string): GoToAuthStatus {
    const slot = this.#slots.get(principal);
    if (slot !== undefined) return slot.status();
    return {
      state: this.#closed ? 'closed' : 'empty',
      serving: false,
      token: undefined,
      refreshAt: undefined,
      lastRefreshAt: undefined,
      lastError: undefined,
    };
  }

  forPrincipal(principal: string): GoToAuth {
    checkPrincipal(principal);
    const oauth = this;
    return {
      get baseUrl() {
        return oauth.baseUrl;
      },
      get closed() {
        return oauth.closed;
      },
      getToken: (options) => oauth.getToken(principal, options),
      cachedToken: () => oauth.cachedToken(principal),
      invalidate: (accessToken) => oauth.invalidate(principal, accessToken),
      status: () => oauth.status(principal),
      on: (type, listener) => oauth.on(type, listener),
      close: async () => {},
    };
  }

  on<T extends GoToAuthEventType>(type: T, listener: GoToAuthListener<T>): () => void {
    return listen(this.#shared, type, listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const slots = [...this.#slots.values()];
    this.#slots.clear();
    await Promise.all(slots.map((slot) => slot.close()));
    this.#shared.closing.abort(closedError());
  }

  /** The principal's manager, made (and the least recently used idle one dropped) when new. */
  #slot(principal: string): TokenManager {
    const slots = this.#slots;
    const existing = slots.get(principal);
    if (existing !== undefined) return existing;
    const o = this.#o;
    // Room first: the newcomer is the most recently used principal, never the one to leave.
    if (slots.size >= o.maxPrincipals) this.#evict();
    const slot = new TokenManager(
      o,
      { key: () => this.#key(principal), mint: undefined, schedule: false },
      this.#shared,
    );
    slots.set(principal, slot);
    return slot;
  }

  /**
   * Drops the least recently used idle manager, by second chance: the Map keeps insertion
   * order; a manager used since it was last passed goes to the back instead, once (its mark is
   * cleared, so when every one was used the oldest idle one leaves on its second visit). A
   * manager with a refresh under way stays until it ends.
   */
  #evict(): void {
    const slots = this.#slots;
    for (const [name, candidate] of slots) {
      if (candidate.busy) continue;
      if (candidate.recent) {
        candidate.recent = false;
        slots.delete(name);
        slots.set(name, candidate);
        continue;
      }
      slots.delete(name);
      return;
    }
  }

  /** The store key of a principal: a hash of (authUrl, clientId, principal). */
  #key(principal: string): Promise<string> {
    const { authUrl, clientId } = this.#o;
    return tokenStoreKey({ baseUrl: authUrl, clientId, userId: `principal:${principal}` });
  }

  #emit(event: GoToAuthEvent): void {
    emit(this.#o, this.#shared, event, (error) => this.#describe(error));
  }

  #scrub(text: string, limit: number): string {
    return redact(text, [this.#o.clientSecret]).slice(0, limit);
  }

  #describe(error: unknown): string {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return this.#scrub(text, 200);
  }

  toJSON(): Record<string, unknown> {
    return {
      authUrl: this.#o.authUrl,
      clientId: this.#o.clientId,
      redirectUri: this.#o.redirectUri,
      principals: this.#slots.size,
      closed: this.#closed,
    };
  }
}

function closedError(): GoToAuthError {
  return new GoToAuthError('CLOSED', 'This GoTo OAuth object was closed.');
}

/**
 * Creates GoTo's authorization code flow for many users: sign-in with GoTo, then per-principal
 * tokens, cached and refreshed through the store (Redis for many processes).
 *
 * @throws {@link GoToAuthError} `INVALID_OPTIONS` or `INSECURE_ENDPOINT` for unusable options,
 * before any request
 *
 * @example
 * ```ts
 * const oauth = createGoToOAuth({
 *   clientId: process.env.GOTO_CLIENT_ID!,
 *   clientSecret: process.env.GOTO_CLIENT_SECRET!,
 *   redirectUri: 'https://app.example.com/auth/goto/callback',
 * });
 * const { url, state } = oauth.authorizationUrl({ scope: 'identity:scim.me' });
 * // …redirect; on return:
 * const { principal } = await oauth.handleCallback(req.originalUrl, { state });
 * const { accessToken } = await oauth.getToken(principal);
 * ```
 */
export function createGoToOAuth(options: GoToOAuthOptions): GoToOAuth {
  return new OAuthClient(options);
}
