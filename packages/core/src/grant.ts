import * as oidc from 'openid-client';
import { readBodyCapped } from './body.js';
import { GoToAuthError, type GoToAuthErrorCode, isGoToAuthError } from './errors.js';
import { type ParsedTokenResponse, parseTokenResponse } from './normalize.js';
import type { ResolvedOptions } from './options.js';

const USER_AGENT = 'goto-auth';

/**
 * A token request: the password grant, a personal access token, or a refresh with the given
 * refresh token.
 */
export type Grant =
  | { type: 'password' }
  | { type: 'personal_access_token' }
  | { type: 'refresh_token'; refreshToken: string };

function base64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

// GoTo expects plain base64(id:secret). openid-client's ClientSecretBasic form-urlencodes
// both first (RFC 6749 2.3.1), which turns "-" into "%2D" and breaks GoTo's check.
function basicAuth(clientId: string, clientSecret: string): oidc.ClientAuth {
  const header = `Basic ${base64(`${clientId}:${clientSecret}`)}`;
  return (_as, _client, _body, headers) => {
    headers.set('authorization', header);
  };
}

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
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
  options: ResolvedOptions,
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
 * Makes one token request through openid-client. GoTo's answer is normalized before
 * openid-client's validator sees it (GoTo sends no `token_type` and blank strings).
 *
 * @param signal - aborts the request (the manager's close signal)
 */
export async function requestToken(
  options: ResolvedOptions,
  grant: Grant,
  signal: AbortSignal,
  secrets: readonly (string | undefined)[],
): Promise<ParsedTokenResponse> {
  const url = grant.type === 'refresh_token' ? options.refreshUrl : options.tokenUrl;
  const useBasic = grant.type !== 'password' || options.endpoint === 'v2';
  if (useBasic && options.clientSecret === undefined) {
    throw new GoToAuthError('INVALID_OPTIONS', 'This grant needs "clientSecret".');
  }
  const config = new oidc.Configuration(
    { issuer: new URL(url).origin, token_endpoint: url },
    options.clientId,
    undefined,
    useBasic ? basicAuth(options.clientId, options.clientSecret as string) : oidc.None(),
  );
  if (url.startsWith('http:')) oidc.allowInsecureRequests(config);

  const sentAt = options.now();
  let parsed: ParsedTokenResponse | undefined;
  config[oidc.customFetch] = async (input, init) => {
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer = options.timers.setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, options.timeout);
    try {
      let response: Response;
      try {
        // Exactly the headers GoTo documents; openid-client adds a charset parameter.
        const headers = new Headers(init.headers);
        headers.set('accept', 'application/json');
        headers.set('content-type', 'application/x-www-form-urlencoded');
        headers.set('user-agent', USER_AGENT);
        // Called unbound: workerd's fetch throws "Illegal invocation" when called as a method
        // of another object.
        const send = options.fetch;
        // Once close() has begun, no token request leaves the process.
        if (signal.aborted) throw signal.reason;
        response = await send(input, {
          ...(init as RequestInit),
          headers,
          signal: controller.signal,
        });
      } catch (cause) {
        throw failure(cause);
      }
      if (!response.ok) throw await errorFromResponse(response, grant, options, secrets);
      let text: string;
      try {
        text = await readCapped(response, options.maxResponseBytes);
      } catch (cause) {
        throw failure(cause);
      }
      parsed = parseTokenResponse(text, sentAt);
      const { token } = parsed;
      // What openid-client validates: the standard shape of what GoTo meant.
      return Response.json({
        access_token: token.accessToken,
        token_type: 'bearer',
        expires_in: Math.max(1, Math.round((token.expiresAt - sentAt) / 1000)),
        ...(token.refreshToken === undefined ? {} : { refresh_token: token.refreshToken }),
      });
    } finally {
      options.timers.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }

    function failure(cause: unknown): GoToAuthError {
      if (isGoToAuthError(cause)) return cause;
      if (signal.aborted) return new GoToAuthError('CLOSED', 'The auth object was closed.');
      if (timedOut) {
        return new GoToAuthError(
          'TIMEOUT',
          `GoTo's token endpoint did not answer within ${options.timeout} ms.`,
        );
      }
      return new GoToAuthError(
        'NETWORK_ERROR',
        `Could not reach GoTo's token endpoint at ${new URL(url).origin} (${scrub(describeNetworkError(cause), secrets, 200)}).`,
        // The cause is kept only when its own text carries no secret.
        redact(String(cause), secrets) === String(cause) ? { cause } : {},
      );
    }
  };

  try {
    if (grant.type === 'refresh_token') {
      await oidc.refreshTokenGrant(config, grant.refreshToken);
    } else if (grant.type === 'personal_access_token') {
      await oidc.genericGrantRequest(config, 'personal_access_token', {
        pat: options.personalAccessToken as string,
      });
    } else if (options.endpoint === 'legacy') {
      // oidc.None() adds client_id to the body, as Direct Login wants.
      await oidc.genericGrantRequest(config, 'password', {
        user_id: options.userId as string,
        password: options.password as string,
      });
    } else {
      await oidc.genericGrantRequest(config, 'password', {
        username: options.userId as string,
        password: options.password as string,
      });
    }
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    if (isGoToAuthError(error)) throw error;
    if (isGoToAuthError(cause)) throw cause;
    // openid-client's errors may hold the response body in `cause`: never pass it on.
    throw new GoToAuthError(
      'INVALID_RESPONSE',
      `GoTo's token response failed validation (${scrub(error instanceof Error ? error.message : 'unknown error', secrets, 200)}).`,
    );
  }
  if (parsed === undefined) {
    throw new GoToAuthError('INVALID_RESPONSE', 'GoTo answered without a token.');
  }
  return parsed;
}
