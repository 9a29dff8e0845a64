/**
 * `@goto-auth/core/http`: how a server answers when no GoTo token can be had, as an RFC 9457
 * `application/problem+json` response. Only the framework adapters need it, so it stays out of
 * the main entry (and out of the bundles of applications that use core alone).
 *
 * @packageDocumentation
 */
import { type GoToAuthErrorCode, isGoToAuthError } from './errors.js';

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

/** How a server should answer when no GoTo token can be had: copy all three parts. */
export interface ProblemResponse {
  /** The HTTP status to answer with: 503, 502 or 500. */
  status: number;
  /** Seconds for the `Retry-After` header, when waiting may help (also in `headers`). */
  retryAfter: number | undefined;
  /**
   * The headers to send: `content-type: application/problem+json`, `cache-control: no-store`,
   * and `retry-after` when `retryAfter` is set. Lower-case names.
   */
  headers: Record<string, string>;
  /** The `application/problem+json` body, to send as JSON. */
  body: ProblemDetails;
}

/**
 * The headers of a problem+json answer: `content-type`, `cache-control: no-store` and, when
 * `retryAfter` (seconds) is given, `retry-after`. For servers that build their own problems
 * beside {@link toProblem}'s.
 */
export function problemHeaders(retryAfter?: number): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/problem+json',
    'cache-control': 'no-store',
  };
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  return headers;
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
 *
 * @example
 * ```ts
 * const { status, headers, body } = toProblem(error);
 * res.writeHead(status, headers).end(JSON.stringify(body));
 * ```
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
      : Math.max(1, Math.ceil(((error as { retryAfter?: number }).retryAfter ?? 5_000) / 1000));
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
    headers: problemHeaders(retryAfter),
    body: {
      type: `https://goto-auth.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`,
      title: TITLES[code],
      status,
      detail,
      code,
    },
  };
}

/** Answers failures for one middleware: {@link toProblem}, logging a configuration error once. */
export interface ProblemResponder {
  /**
   * {@link toProblem}`(error)`. A 500 (the configuration is wrong) is also logged through `log`,
   * once per error code until {@link ProblemResponder.served} is called, with the error's
   * message when it is a `GoToAuthError` (core's messages carry no secret) and only its name
   * otherwise.
   *
   * @param route - what was asked, for the log line (for example `GET /goto/me`)
   */
  answer(
    error: unknown,
    route: string,
    log: ((message: string) => void) | undefined,
  ): ProblemResponse;
  /** A token was served: the next configuration error is news and is logged again. */
  served(): void;
}

/**
 * A {@link ProblemResponder} for the adapter `name` (it prefixes log lines:
 * `[goto-auth/<name>]`).
 *
 * @param what - what failed, as the log line says it
 */
export function problemResponder(name: string, what = 'cannot get a GoTo token'): ProblemResponder {
  let loggedCode: string | undefined;
  return {
    answer(error, route, log) {
      const problem = toProblem(error);
      const { code } = problem.body;
      if (problem.status === 500 && loggedCode !== code) {
        loggedCode = code;
        const why = isGoToAuthError(error)
          ? error.message
          : `unexpected ${error instanceof Error ? error.name : typeof error}`;
        log?.(
          `[goto-auth/${name}] ${code}: ${what} (${why}). Answering 500 on ${route} until the configuration is fixed.`,
        );
      }
      return problem;
    },
    served() {
      loggedCode = undefined;
    },
  };
}
