/**
 * The HTTP-facing pieces in the cases the other files leave out: which `RequestInit` members
 * goToFetch applies to its copy of a `Request`, the problem answers of a failed sign-in and of
 * a lost session, errors from another copy of the package, the refused authorization code, the
 * documented trailing comma, 403 rejections and the longest timer.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { problemResponder, toProblem } from '../src/http.js';
import {
  createGoToAuth,
  createGoToOAuth,
  GoToAuthError,
  type GoToAuthErrorCode,
  goToFetch,
  isRejectedResponse,
  normalizeTokenResponse,
} from '../src/index.js';
import {
  countingTokens,
  ManualClock,
  refusedCredentials,
  rejection,
  STUB_CREDENTIALS,
} from './helpers.js';

describe('goToFetch with a Request and standard init members', () => {
  const members: [string, unknown][] = [
    ['method', 'POST'],
    ['headers', { 'x-extra': '1' }],
    ['body', 'payload'],
    ['mode', 'same-origin'],
    ['credentials', 'omit'],
    ['cache', 'no-store'],
    ['redirect', 'manual'],
    ['referrer', ''],
    ['referrerPolicy', 'no-referrer'],
    ['integrity', 'sha256-abc'],
    ['keepalive', true],
    ['signal', new AbortController().signal],
    ['window', null],
    ['duplex', 'half'],
    ['priority', 'high'],
  ];

  it.each(members)(
    'applies %s to the Request it sends, and passes nothing beside it',
    async (name, value) => {
      const auth = countingTokens();
      const calls: { input: unknown; init: RequestInit | undefined }[] = [];
      const send = async (input: RequestInfo | URL, init?: RequestInit) => {
        calls.push({ input, init });
        return new Response('ok');
      };
      const call = goToFetch(auth, { fetch: send });
      const init: Record<string, unknown> = { [name]: value };
      if (name === 'body') init.method = 'POST';
      const response = await call(new Request(`${auth.baseUrl}/x`), init as RequestInit);
      expect(await response.text()).toBe('ok');
      expect(calls).toHaveLength(1);
      const [sent] = calls;
      if (sent === undefined) throw new Error('nothing was sent');
      expect(sent.input).toBeInstanceOf(Request);
      expect((sent.input as Request).headers.get('authorization')).toBe('Bearer t1');
      // Every member a Request holds is in the Request; a second copy beside it would be applied
      // again by fetch (and a streamed body cannot be read twice).
      expect(sent.init).toBeUndefined();
      await auth.close();
    },
  );

  it('passes the runtime-only members beside the Request', async () => {
    const auth = countingTokens();
    const calls: (RequestInit | undefined)[] = [];
    const call = goToFetch(auth, {
      fetch: async (_input, init) => {
        calls.push(init);
        return new Response('ok');
      },
    });
    const dispatcher = { name: 'agent' };
    await call(new Request(`${auth.baseUrl}/x`), { method: 'POST', dispatcher } as RequestInit);
    expect(calls).toEqual([{ dispatcher }]);
    await auth.close();
  });
});

describe('the problem answers', () => {
  const problem = (code: GoToAuthErrorCode) => toProblem(new GoToAuthError(code, 'x'));

  it.each(['STATE_MISMATCH', 'ACCESS_DENIED', 'INVALID_CALLBACK'] as const)(
    'answers a refused sign-in callback (%s) with 400',
    (code) => {
      const { status, retryAfter, body } = problem(code);
      expect({ status, retryAfter }).toEqual({ status: 400, retryAfter: undefined });
      expect(body).toMatchObject({
        status: 400,
        code,
        detail: 'The GoTo sign-in callback was refused; start the sign-in again.',
      });
    },
  );

  it('answers a user without a session (LOGIN_REQUIRED) with 401', () => {
    const { status, body, headers } = problem('LOGIN_REQUIRED');
    expect(status).toBe(401);
    expect(headers['retry-after']).toBeUndefined();
    expect(body).toMatchObject({
      status: 401,
      title: 'Sign in with GoTo',
      detail: 'This user has no GoTo session: sign in with GoTo again.',
    });
  });

  it('reads an error made by another copy of the package by its code', () => {
    const foreign = Object.assign(new Error('x'), { code: 'LOGIN_REQUIRED' });
    Object.defineProperty(foreign, Symbol.for('goto-auth.error'), { value: true });
    expect(toProblem(foreign).status).toBe(401);
    expect(toProblem(new Error('x')).status).toBe(500);
  });

  it('answers without a log function, and logs a configuration error again after a token served', () => {
    const responder = problemResponder('test');
    const refused = new GoToAuthError(
      'INVALID_CREDENTIALS',
      'GoTo refused the user id or password.',
    );
    expect(responder.answer(refused, 'GET /a', undefined).status).toBe(500);
    const logged: string[] = [];
    const log = (line: string) => logged.push(line);
    responder.served();
    responder.answer(refused, 'GET /a', log);
    responder.answer(refused, 'GET /b', log);
    expect(logged).toHaveLength(1);
    responder.served();
    responder.answer(refused, 'GET /c', log);
    expect(logged).toHaveLength(2);
    expect(logged[1]).toBe(
      '[goto-auth/test] INVALID_CREDENTIALS: cannot get a GoTo token (GoTo refused the user id or password.). Answering 500 on GET /c until the configuration is fixed.',
    );
  });
});

describe('store errors', () => {
  it('are retryable, and a refresh retries after one', async () => {
    expect(new GoToAuthError('STORE_ERROR', 'x').retryable).toBe(true);
    const clock = new ManualClock();
    let gets = 0;
    const auth = createGoToAuth({
      ...STUB_CREDENTIALS,
      now: clock.now,
      timers: clock,
      minGrantInterval: 0,
      logger: false,
      retry: { limit: 1, baseDelay: 100, maxDelay: 100 },
      store: {
        get: async () => {
          if (++gets === 1) throw new Error('store down');
          return undefined;
        },
        set: async () => 1,
        delete: async () => {},
        lock: async () => ({ release: async () => {} }),
      },
      fetch: (async () =>
        Response.json({
          access_token: 'after-retry',
          expires_in: 3600,
        })) as unknown as typeof fetch,
    });
    const pending = auth.getToken();
    await vi.waitUntil(() => clock.pending > 0);
    clock.advance(100);
    expect((await pending).accessToken).toBe('after-retry');
  });
});

describe('a refused authorization code', () => {
  it('says why a code may be refused, with what GoTo said', async () => {
    const oauth = createGoToOAuth({
      clientId: 'client',
      clientSecret: 'secret',
      redirectUri: 'https://app.example/callback',
      logger: false,
      fetch: (async () =>
        Response.json(
          { error: 'invalid_grant', error_description: 'code expired' },
          { status: 400 },
        )) as unknown as typeof fetch,
    });
    const failed = await rejection(
      oauth.handleCallback('/callback?state=s&code=c1', { state: 's' }),
    );
    expect(failed).toMatchObject({ code: 'INVALID_CALLBACK', oauthError: 'invalid_grant' });
    expect(failed.message).toBe(
      'GoTo refused the authorization code (invalid_grant): code expired: it was used already, expired, or the redirect URI differs.',
    );
    await oauth.close();
  });
});

describe("the trailing comma of GoTo's documented example", () => {
  it.each([
    '{"access_token":"x",}',
    '{"access_token":"x", }',
    '{"access_token":"x",\n  }',
    '{"access_token":"x",}\n',
    '{"access_token":"x", \t}  \n ',
  ])('is forgiven in %j', (text) => {
    expect(normalizeTokenResponse(text, 0).accessToken).toBe('x');
  });

  it.each([
    '{"a":{"b":1,},"access_token":"x"}',
    '{"access_token":"x",}x',
    '{"access_token":"x"x,}',
  ])('is not a licence for other faults: %j', (text) => {
    expect(() => normalizeTokenResponse(text, 0)).toThrow(
      expect.objectContaining({ code: 'INVALID_RESPONSE' }),
    );
  });
});

describe('a 403 answer', () => {
  it('is a rejection when its body says InvalidToken, and not otherwise', async () => {
    const forbidden = (body: string) => new Response(body, { status: 403 });
    expect(await isRejectedResponse(forbidden('{"int_err_code":"InvalidToken"}'))).toBe(true);
    expect(await isRejectedResponse(forbidden('{"int_err_code":"NoAccess"}'))).toBe(false);
    expect(await isRejectedResponse(forbidden(''))).toBe(false);
  });
});

describe('the default timers', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('never ask setTimeout for more than it can wait (2^31 - 1 ms)', async () => {
    const delays: number[] = [];
    const original = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      return original(callback, ms);
    }) as typeof setTimeout);
    // A token for 100 million seconds: its refresh is years away.
    const auth = createGoToAuth({
      ...STUB_CREDENTIALS,
      logger: false,
      fetch: (async () =>
        Response.json({
          access_token: 'long',
          expires_in: 100_000_000,
        })) as unknown as typeof fetch,
    });
    await auth.getToken();
    await auth.close();
    expect(delays.length).toBeGreaterThan(0);
    expect(Math.max(...delays)).toBe(2 ** 31 - 1);
  });
});

describe('runtimes whose setTimeout returns a number (Deno, browsers, Workers)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('schedule the refresh without calling unref', async () => {
    const original = globalThis.setTimeout;
    const handles: unknown[] = [];
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, ms?: number) => {
      const timer = original(callback, ms);
      timer.unref();
      // A number handle, as such runtimes give: nothing to unref. (Node's clearTimeout takes it.)
      const id = Number(timer);
      handles.push(id);
      return id as unknown as ReturnType<typeof setTimeout>;
    }) as typeof setTimeout);
    const auth = createGoToAuth({
      ...STUB_CREDENTIALS,
      logger: false,
      fetch: (async () =>
        Response.json({ access_token: 'n', expires_in: 3600 })) as unknown as typeof fetch,
    });
    await expect(auth.getToken()).resolves.toMatchObject({ accessToken: 'n' });
    expect(handles.length).toBeGreaterThan(0);
    expect(handles.every((h) => typeof h === 'number')).toBe(true);
    await auth.close();
  });
});

describe('a long-lived AbortSignal', () => {
  it('keeps no listener from calls that ended', async () => {
    const { EventEmitter } = await import('node:events');
    const { getEventListeners } = EventEmitter;
    const controller = new AbortController();
    const auth = countingTokens();
    for (let i = 0; i < 20; i++) await auth.getToken({ signal: controller.signal });
    auth.invalidate((await auth.getToken()).accessToken);
    await auth.getToken({ signal: controller.signal });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await auth.close();
    // Calls that failed leave none either.
    const refused = refusedCredentials();
    const failure = await rejection(refused.getToken({ signal: controller.signal }));
    expect(failure).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await refused.close();
  });
});
