import { GoToAuthError } from './errors.js';
import type { GoToAuthEvent, GoToAuthLogger } from './events.js';
import { MemoryTokenStore, type TokenStore } from './store.js';
import { defaultTimers, type TimerProvider } from './timers.js';

/** Which GoTo token endpoint the password grant uses. */
export type GoToEndpointStyle = 'legacy' | 'v2';

/** Retry policy for transient failures (network, timeout, 5xx, 429). */
export interface GoToRetryOptions {
  /** Retries after the first attempt. @defaultValue 3 */
  limit?: number;
  /**
   * The first backoff delay in ms; each retry doubles it (capped at `maxDelay`) and waits
   * between half and all of that ("equal jitter"). @defaultValue 500
   */
  baseDelay?: number;
  /** The longest wait between attempts, in ms; a longer `Retry-After` ends the retries. @defaultValue 30000 */
  maxDelay?: number;
}

/**
 * What {@link createGoToAuth} and {@link createGoToOAuth} share: where GoTo is, the store, timing,
 * retries, transport, clock and reporting.
 */
export interface GoToClientOptions {
  /** The application's Consumer Key (`client_id`). */
  clientId: string;
  /** The application's Consumer Secret: needed for `refresh_token` grants and the `v2` endpoint. */
  clientSecret?: string;
  /**
   * GoTo's API origin: Direct Login and the APIs. `http://` is accepted only for loopback hosts
   * (the emulator). Given alone (without `authUrl`), every grant goes here: one setting points
   * everything at an emulator or a proxy.
   * @defaultValue `'https://api.getgo.com'`
   */
  baseUrl?: string;
  /**
   * GoTo's authentication origin, where refresh and the `v2` password grant go
   * (`POST ${authUrl}/oauth/token`). GoTo retired token retrieval on `api.getgo.com` for every
   * grant but Direct Login.
   * @defaultValue `'https://authentication.logmeininc.com'`, or `baseUrl` when only `baseUrl` is given
   */
  authUrl?: string;
  /**
   * Where tokens are shared and who refreshes is decided. Use `@goto-auth/redis` when several
   * processes share one credential.
   * @defaultValue a new {@link MemoryTokenStore}
   */
  store?: TokenStore;
  /**
   * Refresh this many ms before expiry. Capped at a quarter of the token's lifetime, so a
   * short-lived token is not refreshed on every call.
   * @defaultValue 300000 (5 minutes)
   */
  refreshMargin?: number;
  /** Timeout of each HTTP request, in ms. @defaultValue 10000 */
  timeout?: number;
  /** Retry policy for transient failures, or `false` for none. */
  retry?: GoToRetryOptions | false;
  /**
   * The least time between two grants when the second follows a rejected token, in ms.
   * Keeps us from feeding a revocation loop with another client using the same credentials.
   * Scheduled refreshes never wait for it.
   * @defaultValue 5000
   */
  minGrantInterval?: number;
  /**
   * The refresh lock's lifetime in ms; it expires if its holder dies. One hold may send two
   * requests (a refresh, then the password fallback), so the default covers both. A store whose
   * locks can be extended has it renewed before each request as well, so a slow answer cannot
   * outlast it: for `lockTtl`, or if longer for `timeout` plus `lockTtl` (at most 5 s of it) for
   * the write after the answer. Processes waiting for the holder wait up to twice that renewal
   * plus `timeout`.
   * @defaultValue `2 * timeout + 5000`
   */
  lockTtl?: number;
  /** How often to look for a token another process is refreshing, in ms. @defaultValue 100 */
  lockPollInterval?: number;
  /**
   * When the store fails: `'fail'` keeps serving a still-valid token and otherwise fails with
   * `STORE_ERROR`; `'local'` refreshes without the store (risks two processes minting, which
   * in GoToAssist Corporate revokes one of them).
   * @defaultValue `'fail'`
   */
  onStoreError?: 'fail' | 'local';
  /** Largest token response accepted, in bytes. @defaultValue 65536 */
  maxResponseBytes?: number;
  /** The `fetch` to use. @defaultValue `globalThis.fetch` */
  fetch?: typeof fetch;
  /** The clock, in epoch ms. @defaultValue `Date.now` */
  now?: () => number;
  /** Timers; see {@link TimerProvider}. */
  timers?: TimerProvider;
  /** Called for every event; see {@link GoToAuthEvent}. */
  onEvent?: (event: GoToAuthEvent) => void;
  /** Where warnings and errors are logged, or `false` for nowhere. @defaultValue `console` for warnings and errors */
  logger?: GoToAuthLogger | false;
}

/** Options of {@link createGoToAuth}. */
export interface GoToAuthOptions extends GoToClientOptions {
  /** The GoTo user's login id (with `password`; or give `personalAccessToken` instead). */
  userId?: string;
  /** The GoTo user's password (with `userId`). */
  password?: string;
  /**
   * A GoTo personal access token, instead of `userId` and `password`: minted with
   * `grant_type=personal_access_token` at `${authUrl}/oauth/token` (HTTP Basic, so it needs
   * `clientSecret`). Everything else works as for Direct Login.
   */
  personalAccessToken?: string;
  /**
   * `'legacy'`: Direct Login, `POST ${baseUrl}/oauth/access_token` with `user_id` and
   * `client_id` in the body. `'v2'`: `POST ${authUrl}/oauth/token` with HTTP Basic client auth
   * and `username` (needs `clientSecret`).
   * @defaultValue `'legacy'`
   */
  endpoint?: GoToEndpointStyle;
  /** A full URL for the password grant, for unusual deployments. Overrides `endpoint`'s path. */
  tokenUrl?: string;
  /** A full URL for the refresh grant. @defaultValue `${authUrl}/oauth/token` */
  refreshUrl?: string;
}

export interface ResolvedOptions {
  clientId: string;
  clientSecret: string | undefined;
  /** The user id, or `undefined` with a personal access token. */
  userId: string | undefined;
  password: string | undefined;
  personalAccessToken: string | undefined;
  baseUrl: string;
  authUrl: string;
  endpoint: GoToEndpointStyle;
  tokenUrl: string;
  refreshUrl: string;
  store: TokenStore;
  refreshMargin: number;
  timeout: number;
  retry: Required<GoToRetryOptions>;
  minGrantInterval: number;
  lockTtl: number;
  lockPollInterval: number;
  onStoreError: 'fail' | 'local';
  maxResponseBytes: number;
  fetch: typeof fetch;
  now: () => number;
  timers: TimerProvider;
  onEvent: ((event: GoToAuthEvent) => void) | undefined;
  logger: GoToAuthLogger;
}

/** GoTo's API origin, the default `baseUrl`. */
export const DEFAULT_BASE_URL = 'https://api.getgo.com';
/** GoTo's authentication origin, the default `authUrl`. */
export const DEFAULT_AUTH_URL = 'https://authentication.logmeininc.com';

const consoleLogger: GoToAuthLogger = {
  warn: (message) => console.warn(message),
  error: (message) => console.error(message),
};

function fail(message: string): never {
  throw new GoToAuthError('INVALID_OPTIONS', message);
}

/** Reads and checks options, naming the factory they were given to in every message. */
class Reader {
  constructor(
    readonly who: string,
    readonly raw: Record<string, unknown>,
  ) {}

  fail(message: string): never {
    fail(`${this.who}: ${message}`);
  }

  string(key: string): string {
    const value = this.raw[key];
    if (typeof value !== 'string' || value.trim() === '') {
      this.fail(`"${key}" is required and must be a non-empty string.`);
    }
    return value;
  }

  duration(value: unknown, key: string, fallback: number, min = 0): number {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
      this.fail(`"${key}" must be a number of milliseconds of at least ${min}.`);
    }
    return value;
  }

  url(value: string, key: string): URL {
    return checkGoToUrl(value, `${this.who}: "${key}"`);
  }
}

/** Whether a URL's hostname is loopback: `127.0.0.0/8`, `::1` or `localhost` exactly. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  // Not `*.localhost`: such names may go through DNS, and then anywhere.
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Checks a GoTo URL the way `createGoToAuth` does: a valid absolute URL, without credentials,
 * query or fragment, and `https://` unless the host is loopback (`127.0.0.0/8`, `::1`,
 * `localhost`). Applications use it to refuse a bad setting at start with their own name for it.
 *
 * @param value - the URL to check
 * @param name - what to call it in the message, such as `'GOTO_BASE_URL'`
 * @returns the parsed URL
 * @throws {@link GoToAuthError} `INVALID_OPTIONS`, or `INSECURE_ENDPOINT` for `http://` on a
 * host that is not loopback. Messages name the setting and never quote credentials.
 *
 * @example
 * ```ts
 * checkGoToUrl(process.env.GOTO_BASE_URL ?? DEFAULT_BASE_URL, 'GOTO_BASE_URL');
 * ```
 */
export function checkGoToUrl(value: string, name: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(`${name} is not a valid URL.`);
  }
  if (url.username !== '' || url.password !== '') {
    fail(`${name} must not contain a user name or password.`);
  }
  if (url.search !== '' || url.hash !== '') {
    fail(`${name} must not have a query string or fragment.`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return url;
  throw new GoToAuthError(
    'INSECURE_ENDPOINT',
    `${name} must use https:// (http:// is allowed only for loopback hosts); got ${url.protocol}//${url.host}.`,
  );
}

function trimmed(url: URL): string {
  return url.href.replace(/\/+$/, '');
}

type Shared = Omit<
  ResolvedOptions,
  'userId' | 'password' | 'personalAccessToken' | 'endpoint' | 'tokenUrl' | 'refreshUrl'
>;

/** The options both factories share, checked; `clientSecret` as given (blank: none). */
function resolveShared(read: Reader, input: GoToClientOptions): Shared {
  const clientId = read.string('clientId');
  const clientSecret = input.clientSecret === '' ? undefined : input.clientSecret;
  if (clientSecret !== undefined && typeof clientSecret !== 'string') {
    read.fail('"clientSecret" must be a string.');
  }
  const baseUrl = trimmed(read.url(input.baseUrl ?? DEFAULT_BASE_URL, 'baseUrl'));
  const authUrl = trimmed(
    read.url(
      input.authUrl ?? (input.baseUrl === undefined ? DEFAULT_AUTH_URL : baseUrl),
      'authUrl',
    ),
  );
  const timeout = read.duration(input.timeout, 'timeout', 10_000, 1);
  const retry =
    input.retry === false
      ? { limit: 0, baseDelay: 0, maxDelay: 0 }
      : {
          limit: Math.floor(read.duration(input.retry?.limit, 'retry.limit', 3)),
          baseDelay: read.duration(input.retry?.baseDelay, 'retry.baseDelay', 500),
          maxDelay: read.duration(input.retry?.maxDelay, 'retry.maxDelay', 30_000),
        };
  const onStoreError = input.onStoreError ?? 'fail';
  if (onStoreError !== 'fail' && onStoreError !== 'local') {
    read.fail('"onStoreError" must be "fail" or "local".');
  }
  const fetchImpl = input.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') {
    read.fail('no fetch is available; pass one as "fetch".');
  }
  const store = input.store ?? new MemoryTokenStore({ now: input.now });
  for (const method of ['get', 'set', 'delete', 'lock'] as const) {
    if (typeof store[method] !== 'function') read.fail(`"store" has no ${method}().`);
  }
  return {
    clientId,
    clientSecret,
    baseUrl,
    authUrl,
    store,
    refreshMargin: read.duration(input.refreshMargin, 'refreshMargin', 300_000),
    timeout,
    retry,
    minGrantInterval: read.duration(input.minGrantInterval, 'minGrantInterval', 5_000),
    lockTtl: read.duration(input.lockTtl, 'lockTtl', 2 * timeout + 5_000, 1),
    lockPollInterval: read.duration(input.lockPollInterval, 'lockPollInterval', 100, 1),
    onStoreError,
    maxResponseBytes: read.duration(input.maxResponseBytes, 'maxResponseBytes', 65_536, 1),
    fetch: fetchImpl,
    now: input.now ?? Date.now,
    timers: input.timers ?? defaultTimers,
    onEvent: input.onEvent,
    logger: input.logger === false ? {} : (input.logger ?? consoleLogger),
  };
}

function reader(who: string, input: unknown): Reader {
  if (typeof input !== 'object' || input === null) fail(`${who}: options are required.`);
  return new Reader(who, input as Record<string, unknown>);
}

/**
 * Checks the options of {@link createGoToAuth} and fills in the defaults.
 *
 * @throws {@link GoToAuthError} `INVALID_OPTIONS`, or `INSECURE_ENDPOINT` for `http://` on a
 * host that is not loopback
 */
export function resolveOptions(input: GoToAuthOptions): ResolvedOptions {
  const read: Reader = reader('createGoToAuth', input);
  const raw = read.raw;
  const shared = resolveShared(read, input);
  const { clientSecret, baseUrl, authUrl } = shared;
  const personalAccessToken =
    raw.personalAccessToken === undefined ? undefined : read.string('personalAccessToken');
  if (
    personalAccessToken !== undefined &&
    (raw.userId !== undefined || raw.password !== undefined)
  ) {
    read.fail('give either "userId" and "password", or "personalAccessToken", not both.');
  }
  const userId = personalAccessToken === undefined ? read.string('userId') : undefined;
  const password = personalAccessToken === undefined ? read.string('password') : undefined;
  const endpoint = input.endpoint ?? 'legacy';
  if (endpoint !== 'legacy' && endpoint !== 'v2') {
    read.fail('"endpoint" must be "legacy" or "v2".');
  }
  if (personalAccessToken !== undefined && clientSecret === undefined) {
    read.fail('a "personalAccessToken" needs "clientSecret" for HTTP Basic client auth.');
  }
  if (endpoint === 'v2' && clientSecret === undefined) {
    read.fail('the "v2" endpoint needs "clientSecret" for HTTP Basic client auth.');
  }
  const tokenUrl = read.url(
    input.tokenUrl ??
      (endpoint === 'legacy' && personalAccessToken === undefined
        ? `${baseUrl}/oauth/access_token`
        : `${authUrl}/oauth/token`),
    'tokenUrl',
  ).href;
  const refreshUrl = read.url(input.refreshUrl ?? `${authUrl}/oauth/token`, 'refreshUrl').href;
  return { ...shared, userId, password, personalAccessToken, endpoint, tokenUrl, refreshUrl };
}

/** Options of {@link createGoToOAuth}: the app's OAuth client and where GoTo sends users back. */
export interface GoToOAuthOptions extends GoToClientOptions {
  /** The OAuth client's secret: every token request authenticates with HTTP Basic. */
  clientSecret: string;
  /**
   * The redirect URI registered for the client, where GoTo sends the browser back with `code`
   * and `state`. Sent in the authorization URL and again, identical, in the code exchange.
   * `http://` only on loopback hosts.
   */
  redirectUri: string;
  /**
   * How many principals' tokens memory keeps; the least recently used leave (the store keeps
   * them and the next `getToken` reads them back).
   * @defaultValue 10000
   */
  maxPrincipals?: number;
}

/** {@link GoToOAuthOptions}, checked and with defaults. */
export interface ResolvedOAuthOptions extends ResolvedOptions {
  clientSecret: string;
  redirectUri: string;
  authorizeUrl: string;
  maxPrincipals: number;
}

/**
 * Checks the options of {@link createGoToOAuth} and fills in the defaults.
 *
 * @throws {@link GoToAuthError} `INVALID_OPTIONS`, or `INSECURE_ENDPOINT` for `http://` on a
 * host that is not loopback
 */
export function resolveOAuthOptions(input: GoToOAuthOptions): ResolvedOAuthOptions {
  const read: Reader = reader('createGoToOAuth', input);
  const shared = resolveShared(read, input);
  const clientSecret = read.string('clientSecret');
  const redirect = read.string('redirectUri');
  const redirectUri = URL.canParse(redirect) ? new URL(redirect) : undefined;
  if (redirectUri === undefined) read.fail('"redirectUri" is not a valid absolute URL.');
  if (redirectUri.hash !== '' || redirectUri.username !== '' || redirectUri.password !== '') {
    read.fail('"redirectUri" must not have a fragment, user name or password.');
  }
  if (
    redirectUri.protocol !== 'https:' &&
    !(redirectUri.protocol === 'http:' && isLoopback(redirectUri.hostname))
  ) {
    throw new GoToAuthError(
      'INSECURE_ENDPOINT',
      `createGoToOAuth: "redirectUri" must use https:// (http:// is allowed only for loopback hosts); got ${redirectUri.protocol}//${redirectUri.host}.`,
    );
  }
  const tokenUrl = `${shared.authUrl}/oauth/token`;
  return {
    ...shared,
    clientSecret,
    userId: undefined,
    password: undefined,
    personalAccessToken: undefined,
    endpoint: 'v2',
    tokenUrl,
    refreshUrl: tokenUrl,
    // Sent as given: GoTo compares it with the registered URI character for character.
    redirectUri: redirect,
    authorizeUrl: `${shared.authUrl}/oauth/authorize`,
    maxPrincipals: maxPrincipals(read, input.maxPrincipals),
  };
}

function maxPrincipals(read: Reader, value: unknown): number {
  if (value === undefined) return 10_000;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    read.fail('"maxPrincipals" must be a whole number of at least 1.');
  }
  return value;
}
