/**
 * The request GoTo documents and what its answers mean, without HTTP: `tokenRequest` builds,
 * `processTokenResponse` reads a `Response`.
 */
import { describe, expect, it } from 'vitest';
import { processTokenResponse, tokenRequest } from '../src/grant.js';
import { type GoToAuthError, isGoToAuthError } from '../src/index.js';
import { resolveOptions } from '../src/options.js';
import { parseRetryAfter } from '../src/retry-after.js';

const SENT = 1_000_000;
const options = resolveOptions({
  clientId: 'key-with-dash',
  clientSecret: 's3cr-et',
  userId: 'user@example.com',
  password: 'p@ss word&=',
  logger: false,
});
const password = { type: 'password' } as const;

async function refusal(response: Response, secrets: string[] = []): Promise<GoToAuthError> {
  const error = await processTokenResponse(response, password, options, SENT, secrets).catch(
    (e: unknown) => e,
  );
  if (!isGoToAuthError(error)) throw new Error('expected a GoToAuthError');
  return error;
}

describe('tokenRequest', () => {
  it('builds Direct Login as a form body with client_id, no client auth', () => {
    const { url, init } = tokenRequest(options, password);
    expect(url).toBe('https://api.getgo.com/oauth/access_token');
    expect(init.method).toBe('POST');
    expect(init.headers).toEqual({
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'goto-auth',
    });
    expect(Object.fromEntries(new URLSearchParams(init.body))).toEqual({
      grant_type: 'password',
      user_id: 'user@example.com',
      password: 'p@ss word&=',
      client_id: 'key-with-dash',
    });
  });

  it('sends a refresh to the authentication host with plain Basic auth', () => {
    const { url, init } = tokenRequest(options, { type: 'refresh_token', refreshToken: 'r-1' });
    expect(url).toBe('https://authentication.logmeininc.com/oauth/token');
    expect(init.headers.authorization).toBe(`Basic ${btoa('key-with-dash:s3cr-et')}`);
    expect(init.body).toBe('grant_type=refresh_token&refresh_token=r-1');
  });
});

describe('processTokenResponse', () => {
  it("normalizes GoTo's answer, expiry counted from when the request was sent", async () => {
    const { token, dropped } = await processTokenResponse(
      new Response('{"access_token":"a","expires_in":"3600","organizer_key":"1","email":5.5}'),
      password,
      options,
      SENT,
      [],
    );
    expect(token.accessToken).toBe('a');
    expect(token.expiresAt).toBe(SENT + 3_600_000);
    expect(dropped).toEqual(['email']);
  });

  it.each([
    [400, '{"error":"invalid_grant"}', 'INVALID_CREDENTIALS'],
    [401, '{"error":"invalid_client"}', 'INVALID_CLIENT'],
    [401, '', 'INVALID_CLIENT'],
    [400, '{"error":"invalid_request"}', 'INVALID_REQUEST'],
    [404, '<html>gone</html>', 'INVALID_REQUEST'],
    [408, '', 'TIMEOUT'],
    [429, '', 'RATE_LIMITED'],
    [500, '{"error":"server_error"}', 'SERVER_ERROR'],
    [503, 'busy', 'SERVER_ERROR'],
  ] as const)('maps HTTP %i %s to %s', async (status, body, code) => {
    const error = await refusal(new Response(body, { status }));
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
    expect(error.retryable).toBe(['TIMEOUT', 'RATE_LIMITED', 'SERVER_ERROR'].includes(code));
  });

  it('maps invalid_grant on a refresh to REFRESH_TOKEN_REJECTED', async () => {
    const error = await processTokenResponse(
      new Response('{"error":"invalid_grant"}', { status: 400 }),
      { type: 'refresh_token', refreshToken: 'r' },
      options,
      SENT,
      [],
    ).then(
      () => undefined,
      (e: unknown) => e as GoToAuthError,
    );
    expect(error?.code).toBe('REFRESH_TOKEN_REJECTED');
  });

  it('keeps Retry-After, and redacts secrets before shortening what GoTo said', async () => {
    const secret = 'Secret-Straddling-The-Cut';
    const error = await refusal(
      new Response(
        JSON.stringify({
          error: 'invalid_request',
          error_description: `${'x'.repeat(190)}${secret}`,
        }),
        { status: 429, headers: { 'retry-after': '7' } },
      ),
      [secret],
    );
    expect(error.retryAfter).toBe(7000);
    const limited = await refusal(
      new Response(JSON.stringify({ error_description: `${'x'.repeat(190)}${secret}` }), {
        status: 400,
      }),
      [secret],
    );
    expect(limited.message).not.toContain(secret.slice(0, 4));
  });

  it('refuses a body over maxResponseBytes before parsing it', async () => {
    const small = { ...options, maxResponseBytes: 10 };
    const error = await processTokenResponse(
      new Response('{"access_token":"far too long"}'),
      password,
      small,
      SENT,
      [],
    ).then(
      () => undefined,
      (e: unknown) => e as GoToAuthError,
    );
    expect(error?.code).toBe('INVALID_RESPONSE');
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, and nothing else', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 3 ', now)).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Thu, 01 Jan 2025 00:00:30 GMT', now)).toBe(0);
    for (const value of [null, '', 'soon', '-1', '1.5']) {
      expect(parseRetryAfter(value, now)).toBeUndefined();
    }
  });
});
