import { GoToAuthError } from './errors.js';
import {
  type AuthorizationUrlOptions,
  type GoToOAuth,
  type GoToSignIn,
  SIGN_IN_INTERNALS,
  type SignInInternals,
  same,
} from './oauth.js';

/** Options of {@link createSignInFlow}. */
export interface SignInFlowOptions {
  /**
   * The key that signs the state cookie (HMAC-SHA256): a string of at least 32 characters or
   * at least 32 bytes. Every process that may receive a callback needs the same one.
   *
   * @defaultValue a key derived (HKDF-SHA256, with a fixed label and the client id) from the
   * OAuth client secret, so every process of the app agrees without configuration. The client
   * secret itself is never used as the key, nor stored, logged or exposed by the flow. Changing
   * the client secret (or this option) only fails the sign-ins under way, which start again.
   */
  secret?: string | Uint8Array;
  /**
   * The cookie's name: an RFC 6265 token.
   * @defaultValue `'goto_auth_state'`
   */
  cookieName?: string;
  /**
   * How long a sign-in may take, from the redirect to GoTo to the callback, in whole seconds:
   * the cookie's `Max-Age` and the expiry signed into it (checked on the server too).
   * @defaultValue 600
   */
  maxAgeSeconds?: number;
  /**
   * Where to send the user after signing in when `start()` names no `returnTo`: a path on this
   * origin.
   * @defaultValue `'/'`
   */
  returnTo?: string;
}

/** Options of {@link SignInFlow.start}: the authorization URL's, plus where to go afterwards. */
export interface SignInStartOptions extends AuthorizationUrlOptions {
  /**
   * A path on this origin to return to after signing in (`/` and then not `/` or `\`, no
   * control characters or white space, at most 2048 characters; non-ASCII is percent-encoded).
   * Anything else is ignored for the flow's default, so it may come from a query string.
   */
  returnTo?: string;
}

/** What {@link SignInFlow.start} returns. */
export interface SignInStart {
  /** GoTo's authorization URL: redirect the browser there (302). */
  url: string;
  /** The `Set-Cookie` header value that carries the signed state to the callback. */
  setCookie: string;
}

/** What {@link SignInFlow.finish} returns: the signed-in user, and what to answer. */
export interface SignInResult extends GoToSignIn {
  /**
   * The checked path to send the user back to (`start()`'s `returnTo`, or the default), with
   * any non-ASCII percent-encoded, ready for a `Location` header.
   */
  returnTo: string;
  /** The `Set-Cookie` header value that deletes the state cookie: send it with the answer. */
  clearCookie: string;
}

/**
 * The browser side of "sign in with GoTo", shared by every adapter: the `state` travels in a
 * signed, short-lived cookie, so a server needs no session store to start a sign-in and any
 * process of the app can finish it.
 *
 * The cookie is `HttpOnly`, `SameSite=Lax` (it comes back on GoTo's top-level redirect),
 * scoped to the callback's path, `Secure` whenever the redirect URI is `https://` (always,
 * outside loopback), and lives `maxAgeSeconds`. Its value is the state, its expiry and the
 * return path, signed with HMAC-SHA256 (Web Crypto: Node, Deno, Bun and workers alike).
 *
 * One sign-in per browser at a time: a second `start()` replaces the first one's cookie.
 */
export interface SignInFlow {
  /** The cookie's name. */
  readonly cookieName: string;
  /** The redirect URI's path: where the callback route must be, and the cookie's `Path`. */
  readonly callbackPath: string;
  /** Whether the cookie is `Secure`. */
  readonly secure: boolean;
  /**
   * The `Set-Cookie` header value that deletes the state cookie: for answers to failed
   * callbacks (the state is spent either way).
   */
  readonly clearCookie: string;
  /**
   * Starts a sign-in: GoTo's authorization URL (a fresh random `state` unless given) and the
   * cookie that carries that state, signed, to the callback.
   */
  start(options?: SignInStartOptions): Promise<SignInStart>;
  /**
   * Finishes a sign-in: checks the state cookie (signature in constant time, expiry on the
   * OAuth client's clock, state equal to the callback's), then exchanges the code once with
   * `oauth.handleCallback`.
   *
   * @param callbackUrl - the URL GoTo redirected to, absolute or as a path with its query
   * @param cookieHeader - the request's `Cookie` header
   * @throws {@link GoToAuthError} `STATE_MISMATCH` when the cookie is missing, forged, expired or
   * of another sign-in: no request is sent then. Otherwise as `handleCallback`: `ACCESS_DENIED`,
   * `INVALID_CALLBACK` (a replayed callback's code is refused by GoTo), token endpoint errors.
   */
  finish(callbackUrl: string | URL, cookieHeader: string | undefined): Promise<SignInResult>;
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const MAX_COOKIE_VALUE = 4096;
const MAX_RETURN_TO = 2048;
const VERSION = 1;

/** The signed content of the state cookie. */
interface Payload {
  v: number;
  /** The state. */
  s: string;
  /** Expiry, epoch ms. */
  e: number;
  /** The return path. */
  r: string;
}

const utf8 = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return undefined;
  }
}

/**
 * `value` as a path on this origin that is safe to redirect to, or `undefined`: `/` then not
 * `/` or `\` (which browsers read as another host), without control characters, white space,
 * backslashes or lone surrogates anywhere. Non-ASCII comes back percent-encoded as UTF-8 (a
 * `Location` header cannot carry it as it is; `%` escapes stay as they were), and the result
 * is at most 2048 characters (it travels in the state cookie).
 */
function localPath(value: unknown): string | undefined {
  if (
    typeof value !== 'string' ||
    !/^\/(?![/\\])/.test(value) ||
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
    /[\u0000-\u0020\u007f-\u00a0\\]/.test(value) ||
    /\p{Cs}/u.test(value)
  ) {
    return undefined;
  }
  const path = value.replace(/[\u0080-\u{10ffff}]+/gu, encodeURIComponent);
  return path.length <= MAX_RETURN_TO ? path : undefined;
}

function invalid(message: string): never {
  throw new GoToAuthError('INVALID_OPTIONS', `createSignInFlow: ${message}`);
}

function mismatch(reason: string): GoToAuthError {
  return new GoToAuthError(
    'STATE_MISMATCH',
    `${reason}: start the sign-in again (the state cookie did not verify, so no code was exchanged).`,
  );
}

function importSecret(secret: string | Uint8Array): Promise<CryptoKey> {
  const bytes = typeof secret === 'string' ? utf8.encode(secret) : Uint8Array.from(secret);
  return crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);
}

/** The values of every cookie called `name` in a `Cookie` header. */
function cookieValues(header: string | undefined, name: string): string[] {
  if (typeof header !== 'string') return [];
  const values: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1);
    values.push(value);
  }
  return values;
}

class CookieSignInFlow implements SignInFlow {
  readonly cookieName: string;
  readonly callbackPath: string;
  readonly secure: boolean;
  readonly clearCookie: string;
  readonly #oauth: GoToOAuth;
  readonly #now: () => number;
  readonly #key: () => Promise<CryptoKey>;
  readonly #maxAge: number;
  readonly #returnTo: string;
  readonly #attributes: string;

  constructor(oauth: GoToOAuth, options: SignInFlowOptions) {
    const internals = (oauth as { [SIGN_IN_INTERNALS]?: () => SignInInternals } | undefined)?.[
      SIGN_IN_INTERNALS
    ];
    if (typeof internals !== 'function') {
      invalid('the first argument must be a GoToOAuth made by createGoToOAuth.');
    }
    const inside = internals.call(oauth);
    const {
      secret,
      cookieName = 'goto_auth_state',
      maxAgeSeconds = 600,
      returnTo = '/',
    } = options ?? {};
    if (typeof cookieName !== 'string' || !TOKEN.test(cookieName)) {
      invalid('"cookieName" must be a cookie name (letters, digits and !#$%&\'*+-.^_`|~).');
    }
    if (
      typeof maxAgeSeconds !== 'number' ||
      !Number.isInteger(maxAgeSeconds) ||
      maxAgeSeconds < 1 ||
      maxAgeSeconds > 86_400
    ) {
      invalid('"maxAgeSeconds" must be a whole number of seconds from 1 to 86400.');
    }
    const defaultReturnTo = localPath(returnTo);
    if (defaultReturnTo === undefined) {
      invalid('"returnTo" must be a path on this origin, such as "/" or "/account".');
    }
    if (secret !== undefined) {
      const length =
        typeof secret === 'string'
          ? secret.length
          : secret instanceof Uint8Array
            ? secret.byteLength
            : -1;
      // The message never quotes the secret, not even its length.
      if (length < 32) invalid('"secret" must be a string of 32+ characters or 32+ bytes.');
    }
    const redirect = new URL(inside.redirectUri);
    const path = redirect.pathname;
    this.#oauth = oauth;
    this.#now = inside.now;
    this.#maxAge = maxAgeSeconds;
    this.#returnTo = defaultReturnTo;
    this.cookieName = cookieName;
    this.callbackPath = path;
    this.secure = redirect.protocol === 'https:';
    // A path a cookie attribute cannot carry falls back to the whole origin.
    const cookiePath = /^\/[^;,\s]*$/.test(path) ? path : '/';
    this.#attributes = `Path=${cookiePath}; HttpOnly; SameSite=Lax${this.secure ? '; Secure' : ''}`;
    this.clearCookie = `${cookieName}=; ${this.#attributes}; Max-Age=0`;
    // Not a class member with a computed key, which would keep the class in every bundle.
    Object.defineProperty(this, INSPECT, {
      value: () => `SignInFlow ${JSON.stringify(this.toJSON())}`,
    });
    if (secret === undefined) {
      this.#key = inside.stateKey;
    } else {
      // Imported once; only the non-extractable key is kept.
      const imported = importSecret(secret);
      this.#key = () => imported;
    }
  }

  async start(options: SignInStartOptions = {}): Promise<SignInStart> {
    const { returnTo, ...authorization } = options ?? {};
    const { url, state } = this.#oauth.authorizationUrl(authorization);
    const payload: Payload = {
      v: VERSION,
      s: state,
      e: this.#now() + this.#maxAge * 1000,
      r: localPath(returnTo) ?? this.#returnTo,
    };
    const body = base64url(utf8.encode(JSON.stringify(payload)));
    const mac = await crypto.subtle.sign('HMAC', await this.#key(), this.#signed(body));
    const value = `${body}.${base64url(new Uint8Array(mac))}`;
    return {
      url,
      setCookie: `${this.cookieName}=${value}; ${this.#attributes}; Max-Age=${this.#maxAge}`,
    };
  }

  async finish(callbackUrl: string | URL, cookieHeader: string | undefined): Promise<SignInResult> {
    const given = new URL(callbackUrl, 'http://callback.invalid').searchParams.get('state');
    const values = cookieValues(cookieHeader, this.cookieName);
    if (values.length === 0) throw mismatch('No sign-in cookie came with the callback');
    const key = await this.#key();
    const now = this.#now();
    let verified = false;
    let expired = false;
    let found: Payload | undefined;
    for (const value of values) {
      const payload = await this.#verify(key, value);
      if (payload === undefined) continue;
      verified = true;
      if (now >= payload.e) {
        expired = true;
        continue;
      }
      if (given !== null && same(payload.s, given)) {
        found = payload;
        break;
      }
    }
    if (found === undefined) {
      throw mismatch(
        !verified
          ? 'The sign-in cookie is not valid (altered, or signed with another key)'
          : expired
            ? 'The sign-in cookie expired'
            : "The callback's state is missing or is not this sign-in's",
      );
    }
    const signIn = await this.#oauth.handleCallback(callbackUrl, { state: found.s });
    return { ...signIn, returnTo: found.r, clearCookie: this.clearCookie };
  }

  /** The cookie's payload when its signature holds and its content is well formed. */
  async #verify(key: CryptoKey, value: string): Promise<Payload | undefined> {
    if (value.length > MAX_COOKIE_VALUE) return undefined;
    const dot = value.indexOf('.');
    if (dot === -1) return undefined;
    const body = value.slice(0, dot);
    const mac = fromBase64url(value.slice(dot + 1));
    if (mac === undefined || mac.byteLength !== 32) return undefined;
    // Web Crypto's HMAC verify compares in constant time.
    if (!(await crypto.subtle.verify('HMAC', key, mac, this.#signed(body)))) return undefined;
    const bytes = fromBase64url(body);
    if (bytes === undefined) return undefined;
    let payload: unknown;
    try {
      payload = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      return undefined;
    }
    if (typeof payload !== 'object' || payload === null) return undefined;
    const { v, s, e, r } = payload as Record<string, unknown>;
    if (v !== VERSION || typeof s !== 'string' || s === '' || typeof e !== 'number') {
      return undefined;
    }
    return { v, s, e, r: localPath(r) ?? this.#returnTo };
  }

  /** What the MAC covers: the cookie's name and its payload, so no other cookie's value fits. */
  #signed(body: string): Uint8Array<ArrayBuffer> {
    return utf8.encode(`${this.cookieName}=${body}`);
  }

  toJSON(): Record<string, unknown> {
    return {
      cookieName: this.cookieName,
      callbackPath: this.callbackPath,
      secure: this.secure,
      maxAgeSeconds: this.#maxAge,
    };
  }
}

/**
 * Creates the cookie-carried sign-in of {@link SignInFlow} for a `GoToOAuth`: what the Express,
 * NestJS (and any other) adapters' login and callback routes run.
 *
 * @throws {@link GoToAuthError} `INVALID_OPTIONS` for unusable options (a short `secret`, a
 * `returnTo` that is not a local path…) or an `oauth` not made by `createGoToOAuth`
 *
 * @example
 * ```ts
 * const flow = createSignInFlow(oauth);
 * // GET /auth/goto/login
 * const { url, setCookie } = await flow.start({ scope: 'identity:scim.me', returnTo: '/account' });
 * // → 302 to url, with Set-Cookie: setCookie
 * // GET /auth/goto/callback (the redirect URI)
 * const { principal, returnTo, clearCookie } = await flow.finish(req.url, req.headers.cookie);
 * // → remember principal in the app's session; 302 to returnTo, with Set-Cookie: clearCookie
 * ```
 */
export function createSignInFlow(oauth: GoToOAuth, options: SignInFlowOptions = {}): SignInFlow {
  return new CookieSignInFlow(oauth, options);
}
