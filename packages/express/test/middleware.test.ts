import { type GoToAuth, GoToAuthError, isGoToAuthError } from '@goto-auth/core';
import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import {
  answerOf,
  expectBugAnsweredOnce,
  expectConfigErrorLoggedAgain,
  expectConfigErrorLoggedOnce,
  expectProblem,
  leaveWhileWaiting,
  PROBLEM_CASES,
  settle,
  watchSignals,
} from '@goto-auth/test-support';
import express, { type ErrorRequestHandler } from 'express';
import express4 from 'express4';
import { describe, expect, it, vi } from 'vitest';
import { goToAuth } from '../src/index.js';
import { auth, emulator, serve } from './helpers.js';

const ME = '/admin/rest/v1/me';

/** An app whose one route calls GoTo's /me with req.goto; counts the handler's runs. */
function app(a: GoToAuth, middleware = goToAuth(a, { logger: false })) {
  const calls = { handler: 0 };
  const instance = express();
  instance.get('/me', middleware, async (req, res) => {
    calls.handler++;
    const me = await fetch(`${a.baseUrl}${ME}`, {
      headers: { authorization: `Bearer ${req.goto.accessToken}` },
    });
    res.status(me.status).json({ organizerKey: req.goto.organizerKey, me: await me.json() });
  });
  return { instance, calls };
}

describe('goToAuth middleware (Express 5)', () => {
  it('puts the token on req.goto, with one grant for many requests', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const { instance, calls } = app(a);
    const url = await serve(instance);

    const answers = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const response = await fetch(`${url}/me`);
        return {
          status: response.status,
          body: (await response.json()) as Record<string, unknown>,
        };
      }),
    );

    for (const { status, body } of answers) {
      expect(status).toBe(200);
      expect(body.organizerKey).toBe(EMULATOR_DEFAULTS.organizerKey);
      expect(body.me).toMatchObject({ organizerKey: EMULATOR_DEFAULTS.organizerKey });
    }
    expect(calls.handler).toBe(20);
    expect(emu.counters.passwordGrants).toBe(1);
  });

  it.each(PROBLEM_CASES)('answers $status problem+json when $name', async (failure) => {
    const emu = await emulator();
    if (failure.fault) emu.fault(failure.fault);
    const a = auth(emu, failure.password === undefined ? {} : { password: failure.password });
    const { instance, calls } = app(a);
    const url = await serve(instance);

    expectProblem(await answerOf(await fetch(`${url}/me`)), failure);
    expect(calls.handler).toBe(0);
  });

  it('logs a configuration error once, clearly and without the password', async () => {
    const emu = await emulator();
    const a = auth(emu, { password: 'not-the-password' });
    const error = vi.fn();
    const { instance } = app(a, goToAuth(a, { logger: { error } }));
    const url = await serve(instance);

    await expectConfigErrorLoggedOnce(
      async () => (await fetch(`${url}/me`)).status,
      () => error.mock.calls.map((call) => String(call[0])),
    );
  });

  it('logs the same configuration error again after a token has served in between', async () => {
    const emu = await emulator();
    await expectConfigErrorLoggedAgain(auth(emu), async (stub) => {
      const error = vi.fn();
      const url = await serve(app(stub, goToAuth(stub, { logger: { error } })).instance);
      return {
        get: async () => (await fetch(`${url}/me`)).status,
        lines: () => error.mock.calls.map((call) => String(call[0])),
      };
    });
  });

  it('logs the same configuration error again after a token it waited for has served', async () => {
    const emu = await emulator();
    const real = auth(emu);
    const token = await real.getToken();
    let serving = false;
    // Nothing is ever cached: each request waits on getToken(), which fails, then succeeds,
    // then fails again.
    const stub = Object.create(real, {
      baseUrl: { value: real.baseUrl },
      cachedToken: { value: () => undefined },
      getToken: {
        value: () =>
          serving
            ? Promise.resolve(token)
            : Promise.reject(
                new GoToAuthError('INVALID_CREDENTIALS', 'GoTo refused the password.'),
              ),
      },
    }) as GoToAuth;
    const error = vi.fn();
    const { instance } = app(stub, goToAuth(stub, { logger: { error } }));
    const url = await serve(instance);

    const statuses: number[] = [];
    for (const state of [false, false, true, false]) {
      serving = state;
      statuses.push((await fetch(`${url}/me`)).status);
    }
    expect(statuses).toEqual([500, 500, 200, 500]);
    expect(error).toHaveBeenCalledTimes(2);
  });

  it('logs to console.error by default, and nothing for 503', async () => {
    const emu = await emulator();
    emu.fault({ type: 'status', status: 503 });
    const a = auth(emu);
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const { instance } = app(a, goToAuth(a));
      const url = await serve(instance);
      expect((await fetch(`${url}/me`)).status).toBe(503);
      expect(consoleError).not.toHaveBeenCalled();
    } finally {
      consoleError.mockRestore();
    }
  });

  it("with onError: 'next', hands the GoToAuthError to the error handler", async () => {
    const emu = await emulator();
    emu.fault({ type: 'html' });
    const a = auth(emu);
    const { instance, calls } = app(a, goToAuth(a, { onError: 'next', logger: false }));
    const handler: ErrorRequestHandler = (error, _req, res, _next) => {
      res
        .status(599)
        .json({ goto: isGoToAuthError(error), code: (error as { code: string }).code });
    };
    instance.use(handler);
    const url = await serve(instance);

    const response = await fetch(`${url}/me`);

    expect(response.status).toBe(599);
    expect(await response.json()).toEqual({ goto: true, code: 'INVALID_RESPONSE' });
    expect(calls.handler).toBe(0);
  });

  it('says nothing about a failure that arrives after the client left', async () => {
    const emu = await emulator();
    const real = auth(emu);
    let signal: AbortSignal | undefined;
    let refuse: (error: unknown) => void = () => {};
    const pending = Object.create(real, {
      cachedToken: { value: () => undefined },
      getToken: {
        value: (options: { signal?: AbortSignal } = {}) => {
          signal = options.signal;
          return new Promise((_resolve, reject) => {
            refuse = reject;
          });
        },
      },
    }) as GoToAuth;
    const error = vi.fn();
    const { instance, calls } = app(pending, goToAuth(pending, { logger: { error } }));
    const url = await serve(instance);

    await leaveWhileWaiting(`${url}/me`, () => signal);
    refuse(new GoToAuthError('INVALID_CREDENTIALS', 'GoTo refused the password.'));
    await settle(10);
    expect(error).not.toHaveBeenCalled();
    expect(calls.handler).toBe(0);
  });

  it('answers 500 for a failure that is not a GoToAuthError, and logs only its name', async () => {
    const emu = await emulator();
    const real = auth(emu);
    const broken = Object.create(real, {
      cachedToken: { value: () => undefined },
      getToken: {
        value: () => Promise.reject(new TypeError('token=secret-in-a-bug-message')),
      },
    }) as GoToAuth;
    const error = vi.fn();
    const { instance } = app(broken, goToAuth(broken, { logger: { error } }));
    const url = await serve(instance);

    await expectBugAnsweredOnce(url, error, 'unexpected TypeError');
  });

  it('stops waiting for a token when the client goes away', async () => {
    const emu = await emulator();
    emu.fault({ type: 'latency', ms: 60_000 });
    const a = auth(emu);
    const { auth: watched, signal } = watchSignals(a);
    const { instance, calls } = app(a, goToAuth(watched, { logger: false }));
    const url = await serve(instance);

    await leaveWhileWaiting(`${url}/me`, signal);

    expect(calls.handler).toBe(0);
    // The shared refresh goes on for everyone else.
    expect(a.status().state).toBe('refreshing');
  });
});

describe('goToAuth middleware (Express 4)', () => {
  it('puts the token on req.goto and answers problem+json when GoTo is down', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const app4 = express4();
    app4.get('/org', goToAuth(a, { logger: false }), (req, res) => {
      res.json({ organizerKey: req.goto.organizerKey });
    });
    const url = await serve(app4);

    emu.fault({ type: 'drop' });
    const down = await fetch(`${url}/org`);
    expect(down.status).toBe(503);
    expect(down.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(down.headers.get('retry-after')).toBe('5');
    expect(await down.json()).toMatchObject({ status: 503, code: 'NETWORK_ERROR' });

    // Core holds back after a failure (retry cool-down); a fresh auth shows the happy path.
    const b = auth(emu);
    const app4b = express4();
    app4b.get('/org', goToAuth(b, { logger: false }), (req, res) => {
      res.json({ organizerKey: req.goto.organizerKey });
    });
    const ok = await fetch(`${await serve(app4b)}/org`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ organizerKey: EMULATOR_DEFAULTS.organizerKey });
  });
});
