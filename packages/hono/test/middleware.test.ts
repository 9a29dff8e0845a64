import { type GoToAuth, isGoToAuthError } from '@goto-auth/core';
import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import {
  answerOf,
  expectBugAnsweredOnce,
  expectConfigErrorLoggedAgain,
  expectConfigErrorLoggedOnce,
  expectProblem,
  getJsonTogether,
  leaveWhileWaiting,
  ME_ANSWER,
  PROBLEM_CASES,
  stubGoToEnv,
  watchSignals,
} from '@goto-auth/test-support';
import { getRequestListener } from '@hono/node-server';
import { Hono, type MiddlewareHandler } from 'hono';
import { describe, expect, it, vi } from 'vitest';
import { type GoToAuthEnv, goToAuth, goToAuthFromEnv } from '../src/index.js';
import { auth, emulator, serve } from './helpers.js';

const ME = '/admin/rest/v1/me';

/** A Hono app on a real HTTP server whose one route calls GoTo's /me with c.var.goto. */
async function app(
  a: GoToAuth,
  middleware: MiddlewareHandler<GoToAuthEnv> = goToAuth(a, { logger: false }),
) {
  const calls = { handler: 0 };
  const instance = new Hono<GoToAuthEnv>();
  instance.get('/me', middleware, async (c) => {
    calls.handler++;
    const me = await fetch(`${a.baseUrl}${ME}`, {
      headers: { authorization: `Bearer ${c.var.goto.accessToken}` },
    });
    return c.json({ organizerKey: c.var.goto.organizerKey, me: await me.json() }, me.status as 200);
  });
  return { instance, calls, url: await serve(getRequestListener(instance.fetch)) };
}

describe('goToAuth middleware (Hono on @hono/node-server)', () => {
  it('puts the token on c.var.goto, with one grant for many requests', async () => {
    const emu = await emulator();
    const { url, calls } = await app(auth(emu));

    const answers = await getJsonTogether(`${url}/me`, 20);

    expect(answers).toEqual(Array(20).fill({ status: 200, body: ME_ANSWER }));
    expect(calls.handler).toBe(20);
    expect(emu.counters.passwordGrants).toBe(1);
  });

  it.each(PROBLEM_CASES)('answers $status problem+json when $name', async (failure) => {
    const emu = await emulator();
    if (failure.fault) emu.fault(failure.fault);
    const { url, calls } = await app(
      auth(emu, failure.password === undefined ? {} : { password: failure.password }),
    );

    expectProblem(await answerOf(await fetch(`${url}/me`)), failure);
    expect(calls.handler).toBe(0);
  });

  it('keeps the headers earlier middleware set on a problem answer', async () => {
    const emu = await emulator();
    emu.fault({ type: 'status', status: 503 });
    const a = auth(emu);
    const instance = new Hono();
    instance.use(async (c, next) => {
      c.header('access-control-allow-origin', 'https://app.example');
      await next();
    });
    instance.get('/me', goToAuth(a, { logger: false }), (c) => c.text('unreachable'));
    const url = await serve(getRequestListener(instance.fetch));

    const response = await fetch(`${url}/me`);

    expect(response.status).toBe(503);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });

  it('logs a configuration error once, clearly and without the password', async () => {
    const emu = await emulator();
    const a = auth(emu, { password: 'not-the-password' });
    const error = vi.fn();
    const { url } = await app(a, goToAuth(a, { logger: { error } }));

    await expectConfigErrorLoggedOnce(
      async () => (await fetch(`${url}/me`)).status,
      () => error.mock.calls.map((call) => String(call[0])),
    );
  });

  it('logs the same configuration error again after a token has served in between', async () => {
    const emu = await emulator();
    await expectConfigErrorLoggedAgain(auth(emu), async (stub) => {
      const error = vi.fn();
      const { url } = await app(stub, goToAuth(stub, { logger: { error } }));
      return {
        get: async () => (await fetch(`${url}/me`)).status,
        lines: () => error.mock.calls.map((call) => String(call[0])),
      };
    });
  });

  it('logs to console.error by default, and nothing for 503', async () => {
    const emu = await emulator();
    emu.fault({ type: 'status', status: 503 }, { times: 2 });
    const a = auth(emu);
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    const error = vi.fn();
    try {
      const byDefault = await app(a, goToAuth(a));
      const given = await app(a, goToAuth(a, { logger: { error } }));
      expect((await fetch(`${byDefault.url}/me`)).status).toBe(503);
      expect((await fetch(`${given.url}/me`)).status).toBe(503);
      expect(consoleError).not.toHaveBeenCalled();
      expect(error).not.toHaveBeenCalled();

      const refused = auth(emu, { password: 'not-the-password' });
      expect((await fetch(`${(await app(refused, goToAuth(refused))).url}/me`)).status).toBe(500);
      expect(consoleError).toHaveBeenCalledTimes(1);
      expect(String(consoleError.mock.calls[0]?.[0])).toContain(
        '[goto-auth/hono] INVALID_CREDENTIALS',
      );
    } finally {
      consoleError.mockRestore();
    }
  });

  it('answers 500 for a failure that is not a GoToAuthError, and logs only its name', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const error = vi.fn();
    let thrown: unknown = new TypeError('token=secret-in-a-bug-message');
    const { url } = await app(
      a,
      goToAuth(
        () => {
          throw thrown;
        },
        { logger: { error } },
      ),
    );

    await expectBugAnsweredOnce(url, error, '(unexpected TypeError)');

    // Something thrown that is no Error at all is named by its type. A token in between
    // re-arms the log.
    expect((await fetch(`${url}/me`)).status).toBe(500);
    expect(error).toHaveBeenCalledTimes(1);
    thrown = 'a bare string';
    const served = await app(
      a,
      goToAuth(() => a, { logger: false }),
    );
    expect((await fetch(`${served.url}/me`)).status).toBe(200);
    expect((await fetch(`${url}/me`)).status).toBe(500);
    expect(error).toHaveBeenCalledTimes(1);
  });

  it("with onError: 'throw', hands the GoToAuthError to app.onError", async () => {
    const emu = await emulator();
    emu.fault({ type: 'html' });
    const a = auth(emu);
    const instance = new Hono<GoToAuthEnv>();
    instance.get('/me', goToAuth(a, { onError: 'throw', logger: false }), (c) =>
      c.text('unreachable'),
    );
    instance.onError((error, c) =>
      c.json({ goto: isGoToAuthError(error), code: (error as { code?: string }).code }, 599 as 200),
    );
    const url = await serve(getRequestListener(instance.fetch));

    const response = await fetch(`${url}/me`);

    expect(response.status).toBe(599);
    expect(await response.json()).toEqual({ goto: true, code: 'INVALID_RESPONSE' });
  });

  it('takes the auth object from a function of the context', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const seen: string[] = [];
    const { url } = await app(
      a,
      goToAuth(
        (c) => {
          seen.push(c.req.path);
          return a;
        },
        { logger: false },
      ),
    );

    expect((await fetch(`${url}/me`)).status).toBe(200);
    expect(seen).toEqual(['/me']);
  });

  it('stops waiting for a token when the client goes away', async () => {
    const emu = await emulator();
    emu.fault({ type: 'latency', ms: 60_000 });
    const a = auth(emu);
    const { auth: watched, signal } = watchSignals(a);
    const { url, calls } = await app(a, goToAuth(watched, { logger: false }));

    await leaveWhileWaiting(`${url}/me`, signal);

    expect(calls.handler).toBe(0);
    // The shared refresh goes on for everyone else.
    expect(a.status().state).toBe('refreshing');
  });
});

describe('goToAuthFromEnv', () => {
  it('builds one auth object from the GOTO_* variables, on the first request', async () => {
    const emu = await emulator();
    stubGoToEnv(emu);
    const source = goToAuthFromEnv({ logger: false });
    const instance = new Hono<GoToAuthEnv>();
    instance.get('/org', goToAuth(source, { logger: false }), (c) =>
      c.json({ organizerKey: c.var.goto.organizerKey }),
    );
    const url = await serve(getRequestListener(instance.fetch));

    const answers = await Promise.all(
      Array.from({ length: 5 }, async () => (await fetch(`${url}/org`)).json()),
    );

    expect(answers).toEqual(Array(5).fill({ organizerKey: EMULATOR_DEFAULTS.organizerKey }));
    expect(emu.counters.passwordGrants).toBe(1);
  });

  it.each([
    ['GOTO_CLIENT_ID', 'clientId'],
    ['GOTO_USER_ID', 'userId'],
    ['GOTO_PASSWORD', 'password'],
  ])('answers 500 INVALID_OPTIONS when %s is missing', async (variable, option) => {
    const emu = await emulator();
    stubGoToEnv(emu);
    vi.stubEnv(variable, undefined);
    const error = vi.fn();
    const instance = new Hono();
    instance.get('/org', goToAuth(goToAuthFromEnv(), { logger: { error } }), (c) =>
      c.text('unreachable'),
    );
    const url = await serve(getRequestListener(instance.fetch));

    const answer = await fetch(`${url}/org`);

    expect(answer.status).toBe(500);
    expect(await answer.json()).toMatchObject({ code: 'INVALID_OPTIONS' });
    expect(String(error.mock.calls[0]?.[0])).toContain(`"${option}" is required`);
    expect(emu.counters.requests).toBe(0);
  });

  it('builds a new auth object when the credentials change, however their text runs together', async () => {
    const emu = await emulator();
    stubGoToEnv(emu);
    const instance = new Hono<GoToAuthEnv>();
    instance.get('/org', goToAuth(goToAuthFromEnv({ logger: false }), { logger: false }), (c) =>
      c.json({ organizerKey: c.var.goto.organizerKey }),
    );
    const url = await serve(getRequestListener(instance.fetch));
    expect((await fetch(`${url}/org`)).status).toBe(200);

    // The same characters, split differently between client id and user id: other credentials.
    const { clientId, userId } = EMULATOR_DEFAULTS;
    vi.stubEnv('GOTO_CLIENT_ID', `${clientId}${userId.slice(0, 1)}`);
    vi.stubEnv('GOTO_USER_ID', userId.slice(1));
    const answer = await fetch(`${url}/org`);

    expect(answer.status).toBe(500);
    expect(emu.counters.passwordGrants).toBe(1);
  });

  it('answers 500 INVALID_OPTIONS, logged once, when a variable is missing', async () => {
    const emu = await emulator();
    stubGoToEnv(emu);
    vi.stubEnv('GOTO_PASSWORD', undefined);
    const error = vi.fn();
    const instance = new Hono();
    instance.get('/org', goToAuth(goToAuthFromEnv(), { logger: { error } }), (c) =>
      c.text('unreachable'),
    );
    const url = await serve(getRequestListener(instance.fetch));

    const first = await fetch(`${url}/org`);
    const second = await fetch(`${url}/org`);

    expect([first.status, second.status]).toEqual([500, 500]);
    expect(await first.json()).toMatchObject({ code: 'INVALID_OPTIONS' });
    expect(error).toHaveBeenCalledTimes(1);
    expect(String(error.mock.calls[0]?.[0])).toContain('"password" is required');
    expect(emu.counters.requests).toBe(0);
  });
});
