import { readBodyCapped } from './body.js';
import { GoToAuthError, type GoToAuthErrorCode, isGoToAuthError } from './errors.js';

/**
 * Whether a GoTo API answer means "this access token is no longer accepted": 401, or 403 with
 * `int_err_code` `InvalidToken` (how GoTo's product APIs say it). Adapters then call
 * `auth.invalidate(token)` and retry once.
 *
 * @param body - the parsed JSON body of a 403, when there is one
 */
export function isTokenRejection(status: number, body?: unknown): boolean {
  if (status === 401) return true;
  if (status !== 403 || typeof body !== 'object' || body === null) return false;
  return (body as Record<string, unknown>).int_err_code === 'InvalidToken';
}

/** The most of a 403 body {@link isRejectedResponse} reads. */
const REJECTION_BODY_CAP = 65_536;

/**
 * {@link isTokenRejection} for a fetch `Response`. Reads a clone of a 403's body, at most
 * 64 KiB whether or not the answer has a `Content-Length` (a longer body is not a rejection),
 * so the caller can still read the original in full.
 */
export async function isRejectedResponse(response: Response): Promise<boolean> {
  if (response.status === 401) return true;
  if (response.status !== 403) return false;
  try {
    // Only the clone's branch is cancelled past the cap: the caller's copy stays whole.
    const text = await readBodyCapped(response.clone(), REJECTION_BODY_CAP);
    return text !== undefined && isTokenRejection(403, JSON.parse(text));
  } catch {
    return false;
  }
}

/** An RFC 9457 problem details body. */
export interface ProblemDetails {
  /** A URI naming the problem kind, one per error code. */
  type: string;
  /** A short, fixed summary of the problem kind. */
  title: string;
  /** The HTTP status, repeated from the answer. */
  status: number;
  /** What the client may do about it. */
  detail: string;
  /** The {@link GoToAuthError} code. */
  code: GoToAuthErrorCode;
}

/** How a server should answer when no GoTo token can be had. */
export interface ProblemResponse {
  /** The HTTP status to answer with: 503, 502 or 500. */
  status: number;
  /** Seconds for a `Retry-After` header, when waiting may help. */
  retryAfter: number | undefined;
  /** The `application/problem+json` body. */
  body: ProblemDetails;
}

const UNAVAILABLE = new Set<GoToAuthErrorCode>([
  'RATE_LIMITED',
  'SERVER_ERROR',
  'NETWORK_ERROR',
  'TIMEOUT',
  'STORE_ERROR',
  'ABORTED',
  'CLOSED',
]);

const TITLES: Record<GoToAuthErrorCode, string> = {
  INVALID_CREDENTIALS: 'GoTo rejected the configured credentials',
  INVALID_CLIENT: 'GoTo rejected the configured client',
  INVALID_REQUEST: 'GoTo rejected the token request',
  REFRESH_TOKEN_REJECTED: 'GoTo rejected the refresh token',
  INVALID_RESPONSE: 'GoTo answered with an unusable token response',
  RATE_LIMITED: 'GoTo is rate limiting token requests',
  SERVER_ERROR: 'GoTo is failing',
  NETWORK_ERROR: 'GoTo is unreachable',
  TIMEOUT: 'GoTo did not answer in time',
  ABORTED: 'The token request was aborted',
  INSECURE_ENDPOINT: 'The GoTo endpoint is not secure',
  INVALID_OPTIONS: 'The GoTo client is misconfigured',
  STORE_ERROR: 'The shared token store is unavailable',
  CLOSED: 'The GoTo client is shutting down',
  UNEXPECTED_ERROR: 'The GoTo client failed unexpectedly',
  LOGIN_REQUIRED: 'Sign in with GoTo',
  STATE_MISMATCH: 'The sign-in could not be verified',
  ACCESS_DENIED: 'The GoTo sign-in was refused',
  INVALID_CALLBACK: 'The GoTo sign-in could not be completed',
};

/** A user's sign-in went wrong: the browser's request was bad, not the server. */
const BAD_CALLBACK = new Set<GoToAuthErrorCode>([
  'STATE_MISMATCH',
  'ACCESS_DENIED',
  'INVALID_CALLBACK',
]);

/**
 * Maps a failure to get a token onto an HTTP answer, for adapters: 401 when a user must sign in
 * with GoTo again (`LOGIN_REQUIRED`), 400 for a refused sign-in callback, 503 with `Retry-After`
 * when GoTo (or the store) is unreachable or rate limiting, 502 when GoTo's answer is
 * unusable, 500 when the configuration is wrong (credentials, client, options) or something
 * failed unexpectedly (anything that is not a `GoToAuthError` answers as `UNEXPECTED_ERROR`).
 * The body carries no secret: only the code and a fixed title.
 */
export function toProblem(error: unknown): ProblemResponse {
  const code: GoToAuthErrorCode = isGoToAuthError(error) ? error.code : 'UNEXPECTED_ERROR';
  const status = UNAVAILABLE.has(code)
    ? 503
    : code === 'INVALID_RESPONSE'
      ? 502
      : code === 'LOGIN_REQUIRED'
        ? 401
        : BAD_CALLBACK.has(code)
          ? 400
          : 500;
  const retryAfter =
    status !== 503
      ? undefined
      : Math.max(1, Math.ceil(((error as GoToAuthError).retryAfter ?? 5_000) / 1000));
  const detail =
    status === 401
      ? 'This user has no GoTo session: sign in with GoTo again.'
      : status === 400
        ? 'The GoTo sign-in callback was refused; start the sign-in again.'
        : status === 500
          ? 'The server cannot get a GoTo access token because of its configuration.'
          : status === 502
            ? 'GoTo answered the token request with something unusable.'
            : 'GoTo cannot be reached for an access token right now; try again later.';
  return {
    status,
    retryAfter,
    body: {
      type: `https://goto-auth.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`,
      title: TITLES[code],
      status,
      detail,
      code,
    },
  };
}
