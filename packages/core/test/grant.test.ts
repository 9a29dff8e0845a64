/**
 * What the token request says and what a refusal's message says, exactly: the words are what
 * an operator reads in a log.
 */
import { describe, expect, it } from 'vitest';
import { processTokenResponse, redact, requestToken, tokenRequest } from '../src/grant.js';
import type { GoToAuthError } from '../src/index.js';
import { resolveOptions } from '../src/options.js';

const SENT = 1_000_000;
const options = resolveOptions({
  clientId: 'key',
  clientSecret: 'sec',
  userId: 'user',
  password: 'pw',
  logger: false,
});

async function refusal(
  response: Response,
  grant: Parameters<typeof processTokenResponse>[1] = { type: 'password' },
  secrets: string[] = [],
): Promise<GoToAuthError> {
  return processTokenResponse(response, grant, options, SENT, secrets).then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => error as GoToAuthError,
  );
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers });

describe('refusal messages', () => {
  it.each([
    [json(429, {}, { 'retry-after': '1.5' }), 'GoTo is rate limiting token requests (HTTP 429).'],
    [
      json(429, {}, { 'retry-after': '61' }),
      'GoTo is rate limiting token requests (HTTP 429); retry after 61 s.',
    ],
    [json(500, { error: 'x' }), "GoTo's token endpoint failed with HTTP 500."],
    [json(599, {}), "GoTo's token endpoint failed with HTTP 599."],
    [json(408, {}), "GoTo's token endpoint timed out the request (HTTP 408)."],
    [
      json(400, { error: 'invalid_grant', error_description: 'bad pw' }),
      'GoTo refused the user id or password (invalid_grant): bad pw. Check the credentials; this is not retried.',
    ],
    [
      json(400, { error: 'invalid_grant' }),
      'GoTo refused the user id or password (invalid_grant). Check the credentials; this is not retried.',
    ],
    [
      json(401, { error: 'invalid_client', error_description: 'who' }),
      'GoTo refused the client id or secret (invalid_client): who. This is not retried.',
    ],
    [
      new Response('', { status: 401 }),
      'GoTo refused the client id or secret (HTTP 401). This is not retried.',
    ],
    [
      json(400, { error: 'invalid_client' }),
      'GoTo refused the client id or secret (invalid_client). This is not retried.',
    ],
    [
      json(400, { error: 'unsupported_grant_type', error_description: 'no' }),
      "GoTo's token endpoint refused the request (unsupported_grant_type): no.",
    ],
    [
      new Response('<html>', { status: 404 }),
      "GoTo's token endpoint refused the request (HTTP 404).",
    ],
    [
      json(403, { error: 5, error_description: 6 }),
      "GoTo's token endpoint refused the request (HTTP 403).",
    ],
    [json(403, 'invalid_grant'), "GoTo's token endpoint refused the request (HTTP 403)."],
    [json(499, {}), "GoTo's token endpoint refused the request (HTTP 499)."],
  ])('%#: says %s', async (response, message) => {
    const error = await refusal(response);
    expect(error.message).toBe(message);
    expect(error.response).toBe(response);
  });

  it('maps by status before OAuth error, and 5xx from 500 up', async () => {
    expect((await refusal(json(500, { error: 'invalid_grant' }))).code).toBe('SERVER_ERROR');
    expect((await refusal(json(429, { error: 'invalid_client' }))).code).toBe('RATE_LIMITED');
    expect((await refusal(json(408, { error: 'invalid_grant' }))).code).toBe('TIMEOUT');
    expect((await refusal(json(499, {}))).code).toBe('INVALID_REQUEST');
    expect((await refusal(json(400, { error: 'invalid_grant' }))).oauthError).toBe('invalid_grant');
  });

  it('names the personal access token and the refresh token when GoTo refuses them', async () => {
    const pat = await refusal(json(400, { error: 'invalid_grant', error_description: 'expired' }), {
      type: 'personal_access_token',
    });
    expect(pat).toMatchObject({
      code: 'INVALID_CREDENTIALS',
      message:
        'GoTo refused the personal access token (invalid_grant): expired. Check it; this is not retried.',
    });
    const refresh = await refusal(json(400, { error: 'invalid_grant' }), {
      type: 'refresh_token',
      refreshToken: 'r',
    });
    expect(refresh.message).toBe('GoTo refused the refresh token (invalid_grant).');
  });

  it('keeps at most 64 characters of the OAuth error and 200 of the description', async () => {
    const error = await refusal(
      json(400, { error: 'e'.repeat(100), error_description: 'd'.repeat(300) }),
    );
    expect(error.oauthError).toBe('e'.repeat(64));
    expect(error.message).toBe(
      `GoTo's token endpoint refused the request (${'e'.repeat(64)}): ${'d'.repeat(200)}.`,
    );
  });

  it('reads Retry-After on the clock it was given', async () => {
    const at = new Date(options.now() + 120_000).toUTCString();
    const error = await refusal(json(429, {}, { 'retry-after': at }));
    expect(error.retryAfter).toBeGreaterThan(100_000);
    expect(error.retryAfter).toBeLessThanOrEqual(120_000);
  });

  it('reads the error of a body up to maxResponseBytes, and no further', async () => {
    const body = JSON.stringify({ error: 'invalid_grant' });
    const fits = await processTokenResponse(
      new Response(body, { status: 400 }),
      { type: 'password' },
      { ...options, maxResponseBytes: body.length },
      SENT,
      [],
    ).catch((e: unknown) => e as GoToAuthError);
    expect((fits as GoToAuthError).code).toBe('INVALID_CREDENTIALS');
    const over = await processTokenResponse(
      new Response(body, { status: 400 }),
      { type: 'password' },
      { ...options, maxResponseBytes: body.length - 1 },
      SENT,
      [],
    ).catch((e: unknown) => e as GoToAuthError);
    expect((over as GoToAuthError).code).toBe('INVALID_REQUEST');
    const large = await processTokenResponse(
      new Response('{"access_token":"abc"}'),
      { type: 'password' },
      { ...options, maxResponseBytes: 10 },
      SENT,
      [],
    ).catch((e: unknown) => e as GoToAuthError);
    expect((large as GoToAuthError).message).toBe(
      "GoTo's token endpoint answered with a body larger than 10 bytes.",
    );
  });
});

describe('redact', () => {
  it('replaces a secret as sent, URL-encoded and form-encoded, longest first', () => {
    const secret = 'a b&c/é';
    const text = `${secret} ${encodeURIComponent(secret)} ${new URLSearchParams({ s: secret }).toString().slice(2)}`;
    expect(redact(text, [secret])).toBe('[redacted] [redacted] [redacted]');
    expect(redact('xx-secret-long-yy', ['secret', 'x-secret-long-y', undefined, ''])).toBe(
      'x[redacted]y',
    );
    expect(redact('nothing here', [undefined, ''])).toBe('nothing here');
  });
});

describe('tokenRequest', () => {
  it('sends the v2 password grant with username and Basic auth of the UTF-8 client id', () => {
    const v2 = resolveOptions({
      clientId: 'ключ',
      clientSecret: 'sé',
      userId: 'user',
      password: 'pw',
      endpoint: 'v2',
      logger: false,
    });
    const { url, init } = tokenRequest(v2, { type: 'password' });
    expect(url).toBe('https://authentication.logmeininc.com/oauth/token');
    expect(init.body).toBe('grant_type=password&username=user&password=pw');
    expect(init.headers.authorization).toBe(
      `Basic ${Buffer.from('ключ:sé', 'utf8').toString('base64')}`,
    );
  });

  it('sends a personal access token as pat, with Basic auth', () => {
    const pat = resolveOptions({
      clientId: 'c',
      clientSecret: 's',
      personalAccessToken: 'the-pat',
      logger: false,
    });
    const { url, init } = tokenRequest(pat, { type: 'personal_access_token' });
    expect(url).toBe('https://authentication.logmeininc.com/oauth/token');
    expect(init.body).toBe('grant_type=personal_access_token&pat=the-pat');
    expect(init.headers.authorization).toBe(`Basic ${btoa('c:s')}`);
  });

  it('refuses a refresh without a client secret', () => {
    const noSecret = resolveOptions({ clientId: 'c', userId: 'u', password: 'p', logger: false });
    expect(() => tokenRequest(noSecret, { type: 'refresh_token', refreshToken: 'r' })).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTIONS',
        message: 'This grant needs "clientSecret".',
      }),
    );
  });
});

describe('requestToken', () => {
  const NEVER = { setTimeout: () => 0, clearTimeout: () => {} };

  it('names the origin and the network error code, and keeps a cause free of secrets', async () => {
    const failing = (cause: unknown) =>
      resolveOptions({
        ...options,
        clientSecret: 'sec',
        userId: 'user',
        password: 'pw',
        timers: NEVER,
        fetch: async () => {
          throw cause;
        },
      });
    const refused = new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    const a = await requestToken(
      failing(refused),
      { type: 'password' },
      new AbortController().signal,
      [],
    ).catch((e: unknown) => e as GoToAuthError);
    expect(a).toMatchObject({
      code: 'NETWORK_ERROR',
      message: "Could not reach GoTo's token endpoint at https://api.getgo.com (ECONNREFUSED).",
    });
    expect((a as GoToAuthError).cause).toBe(refused);
    const leaky = new Error('pw was wrong');
    const b = await requestToken(
      failing(leaky),
      { type: 'password' },
      new AbortController().signal,
      ['pw'],
    ).catch((e: unknown) => e as GoToAuthError);
    expect((b as GoToAuthError).message).toBe(
      "Could not reach GoTo's token endpoint at https://api.getgo.com ([redacted] was wrong).",
    );
    expect((b as GoToAuthError).cause).toBeUndefined();
    const odd = await requestToken(
      failing('text'),
      { type: 'password' },
      new AbortController().signal,
      [],
    ).catch((e: unknown) => e as GoToAuthError);
    expect((odd as GoToAuthError).message).toBe(
      "Could not reach GoTo's token endpoint at https://api.getgo.com (unknown error).",
    );
  });

  it('sends nothing once closed, and says CLOSED when closed mid-request', async () => {
    let calls = 0;
    const closing = new AbortController();
    const waiting = resolveOptions({
      ...options,
      timers: NEVER,
      fetch: (async (_url: string, init: RequestInit) => {
        calls++;
        return new Promise<Response>((_resolve, reject) =>
          init.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
        );
      }) as unknown as typeof fetch,
    });
    const pending = requestToken(waiting, { type: 'password' }, closing.signal, []).catch(
      (e: unknown) => e as GoToAuthError,
    );
    closing.abort(new Error('closing'));
    expect(await pending).toMatchObject({ code: 'CLOSED', message: 'The auth object was closed.' });
    expect(calls).toBe(1);
    const again = await requestToken(waiting, { type: 'password' }, closing.signal, []).catch(
      (e: unknown) => e as GoToAuthError,
    );
    expect(again).toMatchObject({ code: 'CLOSED' });
    expect(calls).toBe(1);
  });

  it('times out after the timeout with its own message, and clears its timer', async () => {
    const timers: { ms: number; callback: () => void; cleared: boolean }[] = [];
    const slow = resolveOptions({
      ...options,
      timeout: 1234,
      timers: {
        setTimeout: (callback, ms) => {
          timers.push({ ms, callback, cleared: false });
          return timers.length - 1;
        },
        clearTimeout: (handle) => {
          const timer = timers[handle as number];
          if (timer) timer.cleared = true;
        },
      },
      fetch: (async (_url: string, init: RequestInit) =>
        new Promise<Response>((_resolve, reject) =>
          init.signal?.addEventListener('abort', () => reject(new Error('aborted'))),
        )) as unknown as typeof fetch,
    });
    const pending = requestToken(
      slow,
      { type: 'password' },
      new AbortController().signal,
      [],
    ).catch((e: unknown) => e as GoToAuthError);
    expect(timers.map((t) => t.ms)).toEqual([1234]);
    timers[0]?.callback();
    expect(await pending).toMatchObject({
      code: 'TIMEOUT',
      message: "GoTo's token endpoint did not answer within 1234 ms.",
    });
    expect(timers[0]?.cleared).toBe(true);
  });
});
