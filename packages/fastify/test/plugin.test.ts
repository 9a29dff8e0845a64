import { type GoToAuth, isGoToAuthError } from '@goto-auth/core';
import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import {
  expectConfigErrorLoggedAgain,
  expectConfigErrorLoggedOnce,
  expectProblem,
  getJsonTogether,
  leaveWhileWaiting,
  ME_ANSWER,
  PROBLEM_CASES,
  watchSignals,
} from '@goto-auth/test-support';
import fp from 'fastify-plugin';
import { describe, expect, it } from 'vitest';
import { goToAuthPlugin } from '../src/index.js';
import { app, auth, emulator, listen } from './helpers.js';

const ME = '/admin/rest/v1/me';

describe('goToAuthPlugin', () => {
  it('puts the token on request.goto for routes that ask, over real HTTP, with one grant', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const fastify = app();
    await fastify.register(goToAuthPlugin, { auth: a });
    let handled = 0;
    fastify.get('/me', { config: { goto: true } }, async (request, reply) => {
      handled++;
      const me = await fetch(`${fastify.goto.baseUrl}${ME}`, {
        headers: { authorization: `Bearer ${request.goto.accessToken}` },
      });
      return reply
        .code(me.status)
        .send({ organizerKey: request.goto.organizerKey, me: await me.json() });
    });
    const url = await listen(fastify);

    const answers = await getJsonTogether(`${url}/me`, 20);

    expect(answers).toEqual(Array(20).fill({ status: 200, body: ME_ANSWER }));
    expect(handled).toBe(20);
    expect(emu.counters.passwordGrants).toBe(1);
    expect(fastify.goto).toBe(a);
  });

  it('leaves routes that do not ask alone: request.goto is null and no grant is made', async () => {
    const emu = await emulator();
    const fastify = app();
    await fastify.register(goToAuthPlugin, { auth: auth(emu) });
    fastify.get('/plain', async (request) => ({ goto: request.goto }));

    const response = await fastify.inject('/plain');

    expect(response.json()).toEqual({ goto: null });
    expect(emu.counters.requests).toBe(0);
  });

  it('gives the token lazily with request.gotoToken()', async () => {
    const emu = await emulator();
    const fastify = app();
    await fastify.register(goToAuthPlugin, { auth: auth(emu) });
    fastify.get('/lazy', async (request) => {
      const token = await request.gotoToken();
      return { organizerKey: token.organizerKey, same: token === (await request.gotoToken()) };
    });

    const response = await fastify.inject('/lazy');

    expect(response.json()).toEqual({ organizerKey: EMULATOR_DEFAULTS.organizerKey, same: true });
    expect(emu.counters.passwordGrants).toBe(1);
  });

  it.each(PROBLEM_CASES)('answers $status problem+json when $name', async (failure) => {
    const emu = await emulator();
    if (failure.fault) emu.fault(failure.fault);
    const fastify = app({ logs: [] });
    await fastify.register(goToAuthPlugin, {
      auth: auth(emu, failure.password === undefined ? {} : { password: failure.password }),
    });
    let handled = 0;
    fastify.get('/me', { config: { goto: true } }, async () => {
      handled++;
      return {};
    });

    const response = await fastify.inject('/me');

    expectProblem(
      {
        status: response.statusCode,
        header: (name) => response.headers[name] as string | undefined,
        text: response.body,
      },
      failure,
    );
    expect(handled).toBe(0);
  });

  it('logs a configuration error once with request.log, without the password', async () => {
    const emu = await emulator();
    const logs: string[] = [];
    const fastify = app({ logs });
    await fastify.register(goToAuthPlugin, { auth: auth(emu, { password: 'not-the-password' }) });
    fastify.get('/me', { config: { goto: true } }, async () => ({}));

    await expectConfigErrorLoggedOnce(
      async () => (await fastify.inject('/me')).statusCode,
      () => logs.filter((line) => line.includes('goto-auth')),
    );
    expect(logs.join('\n')).not.toContain('not-the-password');
  });

  it('logs the same configuration error again after a token has served in between', async () => {
    const emu = await emulator();
    await expectConfigErrorLoggedAgain(auth(emu), async (stub) => {
      const logs: string[] = [];
      const fastify = app({ logs });
      await fastify.register(goToAuthPlugin, { auth: stub });
      fastify.get('/me', { config: { goto: true } }, async () => ({}));
      return {
        get: async () => (await fastify.inject('/me')).statusCode,
        lines: () => logs.filter((line) => line.includes('INVALID_CREDENTIALS')),
      };
    });
  });

  it("with onError: 'throw', hands the GoToAuthError to Fastify's error handler", async () => {
    const emu = await emulator();
    emu.fault({ type: 'html' });
    const fastify = app();
    await fastify.register(goToAuthPlugin, { auth: auth(emu), onError: 'throw' });
    fastify.setErrorHandler((error, _request, reply) => {
      reply
        .code(599)
        .send({ goto: isGoToAuthError(error), code: (error as { code?: string }).code });
    });
    fastify.get('/me', { config: { goto: true } }, async () => ({ reached: true }));

    const response = await fastify.inject('/me');

    expect(response.statusCode).toBe(599);
    expect(response.json()).toEqual({ goto: true, code: 'INVALID_RESPONSE' });
  });

  it('closes an auth object it created from options when Fastify closes, and never one it was given', async () => {
    const emu = await emulator();
    const given = auth(emu);
    const fastify = app();
    await fastify.register(goToAuthPlugin, {
      clientId: EMULATOR_DEFAULTS.clientId,
      userId: EMULATOR_DEFAULTS.userId,
      password: EMULATOR_DEFAULTS.password,
      baseUrl: emu.url,
      logger: false,
    });
    await fastify.register(goToAuthPlugin, { auth: given, namespace: 'given' });
    fastify.get('/me', { config: { goto: true } }, async (request) => ({
      ok: request.goto.tokenType,
    }));
    expect((await fastify.inject('/me')).json()).toEqual({ ok: 'Bearer' });
    const created = fastify.goto;

    await fastify.close();

    expect(created.closed).toBe(true);
    expect(given.closed).toBe(false);
  });

  it('serves several GoTo accounts under namespaces', async () => {
    const main = await emulator();
    const billing = await emulator();
    const fastify = app();
    await fastify.register(goToAuthPlugin, { auth: auth(main) });
    await fastify.register(goToAuthPlugin, { auth: auth(billing), namespace: 'billing' });
    fastify.get('/main', { config: { goto: true } }, async (request) => ({
      token: request.goto.accessToken,
    }));
    fastify.get('/billing', { config: { goto: 'billing' } }, async (request) => ({
      token: request.goto.accessToken,
      lazy: (await request.gotoToken('billing')).accessToken,
    }));

    const fromMain = (await fastify.inject('/main')).json<{ token: string }>();
    const fromBilling = (await fastify.inject('/billing')).json<{ token: string; lazy: string }>();

    expect(fromBilling.lazy).toBe(fromBilling.token);
    expect(fromMain.token).not.toBe(fromBilling.token);
    expect(main.counters.passwordGrants).toBe(1);
    expect(billing.counters.passwordGrants).toBe(1);
    expect(fastify.goto.billing?.baseUrl).toBe(billing.url);
    expect(fastify.goto.baseUrl).toBe(main.url);
  });

  it('refuses a second account without a namespace, and a namespace taken twice', async () => {
    const emu = await emulator();
    const twice = app();
    await twice.register(goToAuthPlugin, { auth: auth(emu) });
    await expect(twice.register(goToAuthPlugin, { auth: auth(emu) })).rejects.toThrow(
      /registered twice, or after a namespace/,
    );
    const taken = app();
    await taken.register(goToAuthPlugin, { auth: auth(emu), namespace: 'a' });
    await expect(
      taken.register(goToAuthPlugin, { auth: auth(emu), namespace: 'a' }),
    ).rejects.toThrow(/"a" is already registered/);
  });

  it('fails to register with invalid options, before any request', async () => {
    const fastify = app();
    await expect(
      fastify.register(goToAuthPlugin, { clientId: 'id', userId: 'user', password: '' }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });

  it('answers 500 INVALID_OPTIONS when a route asks for an account that is not registered', async () => {
    const emu = await emulator();
    const fastify = app({ logs: [] });
    await fastify.register(goToAuthPlugin, { auth: auth(emu), namespace: 'billing' });
    fastify.get('/me', { config: { goto: true } }, async () => ({ reached: true }));

    const response = await fastify.inject('/me');

    expect(response.statusCode).toBe(500);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ code: 'INVALID_OPTIONS' });
    expect(emu.counters.requests).toBe(0);
  });

  it('names the missing account in the log: the default one, or the namespace asked for', async () => {
    const emu = await emulator();
    const logs: string[] = [];
    const fastify = app({ logs });
    await fastify.register(goToAuthPlugin, { auth: auth(emu), namespace: 'billing' });
    fastify.get('/default', { config: { goto: true } }, async () => ({ reached: true }));
    fastify.get('/nope', { config: { goto: 'nope' } }, async () => ({ reached: true }));
    fastify.get('/lazy', async (request) => request.gotoToken('nope'));
    fastify.setErrorHandler((error, _request, reply) => {
      reply
        .code(599)
        .send({ code: (error as { code?: string }).code, message: (error as Error).message });
    });

    const nope = await fastify.inject('/nope');
    const fallback = await fastify.inject('/default');
    const lazy = await fastify.inject('/lazy');

    expect(nope.statusCode).toBe(500);
    expect(nope.json()).toMatchObject({ code: 'INVALID_OPTIONS' });
    expect(fallback.statusCode).toBe(500);
    const lines = logs.filter((line) => line.includes('goto-auth'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('no GoTo account is registered as "nope".');
    expect(lines[1]).toContain('no GoTo account is registered without a namespace.');
    // request.gotoToken() rejects (it does not throw) with the same error.
    expect(lazy.statusCode).toBe(599);
    expect(lazy.json()).toEqual({
      code: 'INVALID_OPTIONS',
      message: '@goto-auth/fastify: no GoTo account is registered as "nope".',
    });
    expect(emu.counters.requests).toBe(0);
  });

  it('logs nothing for a 503, and only the name of a failure that is not a GoToAuthError', async () => {
    const emu = await emulator();
    emu.fault({ type: 'status', status: 503 });
    const logs: string[] = [];
    const fastify = app({ logs });
    const real = auth(emu);
    const broken = Object.create(real, {
      cachedToken: { value: () => undefined },
      getToken: { value: () => Promise.reject(new TypeError('token=secret-in-a-bug-message')) },
    }) as GoToAuth;
    await fastify.register(goToAuthPlugin, { auth: real });
    await fastify.register(goToAuthPlugin, { auth: broken, namespace: 'broken' });
    fastify.get('/me', { config: { goto: true } }, async () => ({}));
    fastify.get('/broken', { config: { goto: 'broken' } }, async () => ({}));

    expect((await fastify.inject('/me')).statusCode).toBe(503);
    expect(logs.filter((line) => line.includes('goto-auth'))).toEqual([]);

    const response = await fastify.inject('/broken');
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secret-in-a-bug-message');
    expect(response.json()).toMatchObject({ code: 'UNEXPECTED_ERROR' });
    const lines = logs.filter((line) => line.includes('goto-auth'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('(unexpected TypeError)');
    expect(lines[0]).not.toContain('secret-in-a-bug-message');
  });

  it("keeps a route's own onRequest hooks, and runs them before its own", async () => {
    const emu = await emulator();
    const fastify = app();
    await fastify.register(goToAuthPlugin, { auth: auth(emu) });
    const seen: string[] = [];
    const hook = (name: string) => async (request: { goto: unknown }) => {
      seen.push(`${name}:${request.goto === null ? 'no token' : 'token'}`);
    };
    fastify.get('/one', { config: { goto: true }, onRequest: hook('one') }, async (request) => ({
      type: request.goto.tokenType,
    }));
    fastify.get(
      '/two',
      { config: { goto: true }, onRequest: [hook('a'), hook('b')] },
      async (request) => ({ type: request.goto.tokenType }),
    );

    expect((await fastify.inject('/one')).json()).toEqual({ type: 'Bearer' });
    expect((await fastify.inject('/two')).json()).toEqual({ type: 'Bearer' });
    expect(seen).toEqual(['one:no token', 'a:no token', 'b:no token']);
    expect(emu.counters.passwordGrants).toBe(1);
  });

  it("leaves no 'close' listener on the response once the wait for a token is over", async () => {
    const emu = await emulator();
    emu.fault({ type: 'status', status: 503 });
    const fastify = app({ logs: [] });
    await fastify.register(goToAuthPlugin, { auth: auth(emu) });
    const listeners: number[] = [];
    fastify.addHook('onSend', async (_request, reply) => {
      listeners.push(reply.raw.listenerCount('close'));
    });
    fastify.get('/plain', async () => ({}));
    fastify.get('/me', { config: { goto: true } }, async () => ({}));
    const url = await listen(fastify);

    // Over real HTTP, so the response is a real one: the first answer fails, the second waits
    // for the token, the third has it cached.
    const statuses = [];
    for (const path of ['/plain', '/me', '/me', '/me']) {
      statuses.push((await fetch(`${url}${path}`)).status);
    }

    expect(statuses).toEqual([200, 503, 200, 200]);
    expect(listeners).toEqual(Array(4).fill(listeners[0]));
  });

  it('declares itself to Fastify as @goto-auth/fastify, for Fastify 5', async () => {
    const emu = await emulator();
    const fastify = app();
    await fastify.register(goToAuthPlugin, { auth: auth(emu) });
    // Another plugin may depend on ours by name.
    const dependent = fp(async () => {}, {
      name: 'dependent',
      dependencies: ['@goto-auth/fastify'],
    });
    await expect(fastify.register(dependent)).resolves.toBeDefined();

    const older = app();
    await expect(
      older.register(async (child) => {
        Object.defineProperty(child, 'version', { value: '4.29.0' });
        await child.register(goToAuthPlugin, { auth: auth(emu) });
      }),
    ).rejects.toMatchObject({ code: 'FST_ERR_PLUGIN_VERSION_MISMATCH' });
  });

  it('stops waiting for a token when the client goes away', async () => {
    const emu = await emulator();
    emu.fault({ type: 'latency', ms: 60_000 });
    const a = auth(emu);
    const { auth: watched, signal } = watchSignals(a);
    const fastify = app();
    await fastify.register(goToAuthPlugin, { auth: watched });
    let handled = 0;
    fastify.get('/me', { config: { goto: true } }, async () => {
      handled++;
      return {};
    });
    const url = await listen(fastify);

    await leaveWhileWaiting(`${url}/me`, signal);

    expect(handled).toBe(0);
    // The shared refresh goes on for everyone else.
    expect(a.status().state).toBe('refreshing');
  });
});
