import { readBodyCapped } from './body.js';
import { GoToAuthError, type GoToAuthErrorCode, isGoToAuthError } from './errors.js';
import { type ParsedTokenResponse, parseTokenResponse } from './normalize.js';
import type { ResolvedOptions } from './options.js';
import { parseRetryAfter } from './retry-after.js';

const USER_AGENT = 'goto-auth';

/**
 * A token request: the password grant, a personal access token, a refresh with the given
 * refresh token, or the exchange of an authorization code.
 */
export type Grant =
  | { type: 'password' }
  | { type: 'personal_access_token' }
  | { type: 'refresh_token'; refreshToken: string }
  | { type: 'authorization_code'; code: string; redirectUri: string };

function base64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Reads at most `limit` bytes of a body; a larger body is refused before it is parsed. */
async function readCapped(response: Response, limit: number): Promise<string> {
  const text = await readBodyCapped(response, limit);
  if (text === undefined) throw tooLarge(limit);
  return text;
}

function tooLarge(limit: number): GoToAuthError {
  return new GoToAuthError(
    'INVALID_RESPONSE',
    `GoTo's token endpoint answered with a body larger than ${limit} bytes.`,
  );
}

/**
 * Replaces every known secret in a text, as sent and as a form or URL would encode it, so no
 * message can echo one. Every secret is redacted whatever its length.
 */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret === undefined || secret === '') continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
    forms.add(new URLSearchParams({ s: secret }).toString().slice(2));
  }
  // Longest first: a short secret inside a longer one must not break the longer one's match.
  let out = text;
  for (const form of [...forms].sort((a, b) => b.length - a.length)) {
    out = out.split(form).join('[redacted]');
  }
  return out;
}

/** Redacts first, then truncates: a secret cut in half would no longer be found. */
function scrub(text: string, secrets: readonly (string | undefined)[], limit: number): string {
  return redact(text, secrets).slice(0, limit);
}

async function errorFromResponse(
  response: Response,
  grant: Grant,
  options: Pick<ResolvedOptions, 'maxResponseBytes' | 'now'>,
  secrets: readonly (string | undefined)[],
): Promise<GoToAuthError> {
  const { status } = response;
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'), options.now());
  let oauthError: string | undefined;
  let description = '';
  try {
    const body: unknown = JSON.parse(await readCapped(response, options.maxResponseBytes));
    if (typeof body === 'object' && body !== null) {
      const { error, error_description } = body as Record<string, unknown>;
      if (typeof error === 'string') oauthError = scrub(error, secrets, 64);
      if (typeof error_description === 'string') description = error_description;
    }
  } catch {
    // Not JSON, or too large: the status alone decides.
  }
  const said = description === '' ? '' : `: ${scrub(description, secrets, 200)}`;
  const details = { status, oauthError, retryAfter, response };
  const make = (code: GoToAuthErrorCode, message: string) =>
    new GoToAuthError(code, message, details);

  if (status === 429) {
    const wait = retryAfter === undefined ? '' : `; retry after ${Math.ceil(retryAfter / 1000)} s`;
    return make('RATE_LIMITED', `GoTo is rate limiting token requests (HTTP 429)${wait}.`);
  }
  if (status >= 500) {
    return make('SERVER_ERROR', `GoTo's token endpoint failed with HTTP ${status}.`);
  }
  if (status === 408) {
    return make('TIMEOUT', "GoTo's token endpoint timed out the request (HTTP 408).");
  }
  if (oauthError === 'invalid_grant') {
    if (grant.type === 'authorization_code') {
      return make(
        'INVALID_CALLBACK',
        `GoTo refused the authorization code (invalid_grant)${said}: it was used already, expired, or the redirect URI differs.`,
      );
    }
    if (grant.type === 'personal_access_token') {
      return make(
        'INVALID_CREDENTIALS',
        `GoTo refused the personal access token (invalid_grant)${said}. Check it; this is not retried.`,
      );
    }
    return grant.type === 'refresh_token'
      ? make('REFRESH_TOKEN_REJECTED', `GoTo refused the refresh token (invalid_grant)${said}.`)
      : make(
          'INVALID_CREDENTIALS',
          `GoTo refused the user id or password (invalid_grant)${said}. Check the credentials; this is not retried.`,
        );
  }
  if (oauthError === 'invalid_client' || status === 401) {
    return make(
      'INVALID_CLIENT',
      `GoTo refused the client id or secret (${oauthError ?? `HTTP ${status}`})${said}. This is not retried.`,
    );
  }
  return make(
    'INVALID_REQUEST',
    `GoTo's token endpoint refused the request (${oauthError ?? `HTTP ${status}`})${said}.`,
  );
}

function describeNetworkError(cause: unknown): string {
  const inner = (cause as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  if (typeof inner === 'string') return inner;
  return cause instanceof Error ? cause.message : 'unknown error';
}

/**
 * The request GoTo documents for a grant: a form body (credentials never in the URL) and
 * exactly the documented headers. HTTP Basic client auth is plain `base64(id:secret)`; the
 * RFC 6749 2.3.1 form (each part form-urlencoded first, as generic OAuth clients send it) turns
 * `-` into `%2D` and fails GoTo's check.
 *
 * @throws {@link GoToAuthError} `INVALID_OPTIONS` for a grant that needs the client secret
 * without one
 */
export function tokenRequest(
  options: ResolvedOptions,
  grant: Grant,
): { url: string; init: RequestInit & { headers: Record<string, string>; body: string } } {
  const body = new URLSearchParams({ grant_type: grant.type });
  if (grant.type === 'refresh_token') {
    body.set('refresh_token', grant.refreshToken);
  } else if (grant.type === 'personal_access_token') {
    body.set('pat', options.personalAccessToken ?? '');
  } else if (grant.type === 'authorization_code') {
    body.set('code', grant.code);
    body.set('redirect_uri', grant.redirectUri);
  } else if (options.endpoint === 'legacy') {
    // Direct Login: the user in `user_id`, the Consumer Key as `client_id`, no client auth.
    body.set('user_id', options.userId ?? '');
    body.set('password', options.password ?? '');
    body.set('client_id', options.clientId);
  } else {
    body.set('username', options.userId ?? '');
    body.set('password', options.password ?? '');
  }
  const headers: Record<string, string> = {
    accept: 'application/json',
    'content-type': 'application/x-www-form-urlencoded',
    'user-agent': USER_AGENT,
  };
  if (grant.type !== 'password' || options.endpoint === 'v2') {
    if (options.clientSecret === undefined) {
      throw new GoToAuthError('INVALID_OPTIONS', 'This grant needs "clientSecret".');
    }
    headers.authorization = `Basic ${base64(`${options.clientId}:${options.clientSecret}`)}`;
  }
  const url = grant.type === 'refresh_token' ? options.refreshUrl : options.tokenUrl;
  return { url, init: { method: 'POST', headers, body: body.toString() } };
}

/**
 * What GoTo's answer to a token request means: a normalized token, or the typed error for a
 * refusal. Reads the body with the size cap and does nothing else (no request, no clock):
 * unit-tested with `new Response(...)`.
 *
 * @param sentAt - when the request was sent: expiry counts from here
 * @param secrets - texts no error message may carry (redacted from what GoTo said)
 * @throws {@link GoToAuthError} for a refusal or an unusable answer; what reading the body
 * throws (a dropped connection) is passed on
 */
export async function processTokenResponse(
  response: Response,
  grant: Grant,
  options: Pick<ResolvedOptions, 'maxResponseBytes' | 'now'>,
  sentAt: number,
  secrets: readonly (string | undefined)[],
): Promise<ParsedTokenResponse> {
  if (!response.ok) throw await errorFromResponse(response, grant, options, secrets);
  return parseTokenResponse(await readCapped(response, options.maxResponseBytes), sentAt);
}

/**
 * Makes one token request: {@link tokenRequest}, `fetch` with the timeout and the close
 * signal, then {@link processTokenResponse}.
 *
 * @param signal - aborts the request (the manager's close signal)
 */
export async function requestToken(
  options: ResolvedOptions,
  grant: Grant,
  signal: AbortSignal,
  secrets: readonly (string | undefined)[],
): Promise<ParsedTokenResponse> {
  const { url, init } = tokenRequest(options, grant);
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  const timer = options.timers.setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeout);
  const sentAt = options.now();
  try {
    // Once close() has begun, no token request leaves the process.
    if (signal.aborted) throw signal.reason;
    // Called unbound: workerd's fetch throws "Illegal invocation" when called as a method of
    // another object.
    const send = options.fetch;
    const response = await send(url, { ...init, signal: controller.signal });
    return await processTokenResponse(response, grant, options, sentAt, secrets);
  } catch (cause) {
    if (isGoToAuthError(cause)) throw cause;
    if (signal.aborted) throw new GoToAuthError('CLOSED', 'The auth object was closed.');
    if (timedOut) {
      throw new GoToAuthError(
        'TIMEOUT',
        `GoTo's token endpoint did not answer within ${options.timeout} ms.`,
      );
    }
    throw new GoToAuthError(
      'NETWORK_ERROR',
      `Could not reach GoTo's token endpoint at ${new URL(url).origin} (${scrub(describeNetworkError(cause), secrets, 200)}).`,
      // The cause is kept only when its own text carries no secret.
      redact(String(cause), secrets) === String(cause) ? { cause } : {},
    );
  } finally {
    options.timers.clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}
