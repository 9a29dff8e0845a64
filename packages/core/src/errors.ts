/**
 * Every code a {@link GoToAuthError} can carry.
 *
 * @remarks
 * Codes are stable and meant for `switch` statements; messages are for people and may change.
 */
export const GoToAuthErrorCode = {
  /** The password grant was refused (`invalid_grant`): wrong user id or password. Never retried. */
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  /** GoTo does not accept the client id or secret (`invalid_client`). Never retried. */
  INVALID_CLIENT: 'INVALID_CLIENT',
  /** GoTo refused the request itself (`invalid_request`, `unsupported_grant_type`, another 4xx). Never retried. */
  INVALID_REQUEST: 'INVALID_REQUEST',
  /** A refresh token was refused; the manager falls back to one password grant. */
  REFRESH_TOKEN_REJECTED: 'REFRESH_TOKEN_REJECTED',
  /** GoTo answered with something that is not a usable token response. */
  INVALID_RESPONSE: 'INVALID_RESPONSE',
  /** GoTo answered 429. `retryAfter` holds its `Retry-After`, when it sent one. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** GoTo answered 5xx. */
  SERVER_ERROR: 'SERVER_ERROR',
  /** The request did not reach GoTo or the connection broke. */
  NETWORK_ERROR: 'NETWORK_ERROR',
  /** A request, or a wait for another process's refresh, took longer than allowed. */
  TIMEOUT: 'TIMEOUT',
  /** The caller's `AbortSignal` fired while it waited. */
  ABORTED: 'ABORTED',
  /** The token endpoint is `http://` on a host that is not loopback. */
  INSECURE_ENDPOINT: 'INSECURE_ENDPOINT',
  /** The options passed to `createGoToAuth` are unusable. */
  INVALID_OPTIONS: 'INVALID_OPTIONS',
  /** The shared token store failed (for example Redis is unreachable) or holds unreadable data. Retried. */
  STORE_ERROR: 'STORE_ERROR',
  /** `close()` was called. */
  CLOSED: 'CLOSED',
  /**
   * OAuth: this principal has no session (never signed in, signed out, or GoTo refused its
   * refresh token). Send the user through `authorizationUrl()` again. Not retried.
   */
  LOGIN_REQUIRED: 'LOGIN_REQUIRED',
  /** OAuth: the callback's `state` is missing or is not the one this sign-in started with. */
  STATE_MISMATCH: 'STATE_MISMATCH',
  /** OAuth: the user refused consent (GoTo sent `error=access_denied` to the callback). */
  ACCESS_DENIED: 'ACCESS_DENIED',
  /**
   * OAuth: the callback is unusable: no `code`, another `error` from GoTo, or a code GoTo
   * refused (used already, expired, or a different redirect URI).
   */
  INVALID_CALLBACK: 'INVALID_CALLBACK',
  /**
   * Something failed that should not fail (a bug in a custom store or in goto-auth itself).
   * Not retried: the message says what threw.
   */
  UNEXPECTED_ERROR: 'UNEXPECTED_ERROR',
} as const;

/** The string-literal union of {@link GoToAuthErrorCode} values. */
export type GoToAuthErrorCode = (typeof GoToAuthErrorCode)[keyof typeof GoToAuthErrorCode];

const RETRYABLE: ReadonlySet<GoToAuthErrorCode> = new Set<GoToAuthErrorCode>([
  'RATE_LIMITED',
  'SERVER_ERROR',
  'NETWORK_ERROR',
  'TIMEOUT',
  'STORE_ERROR',
]);

/**
 * Extra facts an error may carry. None of them is ever a secret. Exported because the
 * {@link GoToAuthError} constructor takes it (custom stores throw `STORE_ERROR`s).
 */
export interface GoToAuthErrorDetails {
  /** The underlying error. Never carries a secret or a response body. */
  cause?: unknown;
  /** The HTTP status GoTo answered with, when there was an answer. */
  status?: number;
  /** The OAuth `error` value GoTo sent (`invalid_grant`, `invalid_client`…). */
  oauthError?: string;
  /** How long GoTo asked us to wait, in milliseconds (from `Retry-After`). */
  retryAfter?: number;
  /** How many requests were made before giving up. */
  attempts?: number;
  /** The raw response; kept out of enumeration so it never lands in logs. */
  response?: Response;
}

const BRAND = Symbol.for('goto-auth.error');

/**
 * The one error class of goto-auth. Check `code` rather than the message.
 *
 * @example
 * ```ts
 * try {
 *   await auth.getToken();
 * } catch (error) {
 *   if (isGoToAuthError(error) && error.code === 'INVALID_CREDENTIALS') alertOps();
 *   throw error;
 * }
 * ```
 */
export class GoToAuthError extends Error {
  /** What went wrong, as a stable string. */
  readonly code: GoToAuthErrorCode;
  /** The HTTP status GoTo answered with, when there was an answer. */
  readonly status: number | undefined;
  /** The OAuth `error` value GoTo sent, when it sent one. */
  readonly oauthError: string | undefined;
  /** Milliseconds GoTo asked us to wait (`Retry-After`), when it said. */
  readonly retryAfter: number | undefined;
  /** Requests made before giving up, when known. */
  readonly attempts: number | undefined;
  /** The raw response, when there was one (non-enumerable). */
  declare readonly response: Response | undefined;

  constructor(code: GoToAuthErrorCode, message: string, details: GoToAuthErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'GoToAuthError';
    this.code = code;
    this.status = details.status;
    this.oauthError = details.oauthError;
    this.retryAfter = details.retryAfter;
    this.attempts = details.attempts;
    Object.defineProperty(this, 'response', { value: details.response, enumerable: false });
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
  }

  /** Whether a later attempt may succeed (network, timeout, 5xx, 429, store trouble). */
  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

/**
 * Whether `value` is a {@link GoToAuthError}, including one made by another copy of this
 * package or in another realm (where `instanceof` fails).
 */
export function isGoToAuthError(value: unknown): value is GoToAuthError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value instanceof GoToAuthError || (value as Record<symbol, unknown>)[BRAND] === true)
  );
}
