import { type GoToAuth, type GoToAuthErrorCode, isGoToAuthError } from '@goto-auth/core';
import { EMULATOR_DEFAULTS, type EmulatorFault } from '@goto-auth/emulator';
import { stubGoToEnv } from '@goto-auth/test-support';
import { getRequestListener } from '@hono/node-server';
import { Hono, type MiddlewareHandler } from 'hono';
import { describe, expect, it, vi } from 'vitest';
import { type GoToAuthEnv, goToAuth, goToAuthFromEnv } from '../src/index.js';
import { auth, emulator, serve, until } from './helpers.js';

const ME = '/admin/rest/v1/me';
const SECRETS = [EMULATOR_DEFAULTS.password, EMULATOR_DEFAULTS.clientSecret];

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

  const failures: Array<{
    name: string;
    fault: EmulatorFault | undefined;
    password?: string;
    status: number;
    code: GoToAuthErrorCode;
    retryAfter: string | null;
  }> = [
    {
      name: 'GoTo drops the connection',
      fault: { type: 'drop' },
      status: 503,
      code: 'NETWORK_ERROR',
      retryAfter: '5',
    },
    {
      name: 'GoTo answers 503',
      fault: { type: 'status', status: 503 },
      status: 503,
      code: 'SERVER_ERROR',
      retryAfter: '5',
    },
    {
      name: 'GoTo rate limits',
      fault: { type: 'rate-limit', retryAfterSeconds: 7 },
      status: 503,
      code: 'RATE_LIMITED',
      retryAfter: '7',
    },
    {
      name: 'GoTo answers an HTML page',
      fault: { type: 'html' },
      status: 502,
      code: 'INVALID_RESPONSE',
      retryAfter: null,
    },
    {
      name: 'the password is wrong',
      fault: undefined,
      password: 'not-the-password',
      status: 500,
      code: 'INVALID_CREDENTIALS',
      retryAfter: null,
    },
  ];

  it.each(failures)('answers $status problem+json when $name', async (failure) => {
    const emu = await emulator();
    if (failure.fault) emu.fault(failure.fault);
    const { url, calls } = await app(
      auth(emu, failure.password === undefined ? {} : { password: failure.password }),
    );

    const response = await fetch(`${url}/me`);
    const text = await response.text();

    expect(response.status).toBe(failure.status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.headers.get('retry-after')).toBe(failure.retryAfter);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(JSON.parse(text)).toEqual({
      type: `https://goto-auth.dev/problems/${failure.code.toLowerCase().replaceAll('_', '-')}`,
      title: expect.any(String),
      status: failure.status,
      detail: expect.any(String),
      code: failure.code,
    });
    for (const secret of [...SECRETS, failure.password ?? SECRETS[0]]) {
      expect(text).not.toContain(secret);
    }
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

    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${url}/me`)).status);

    expect(statuses).toEqual([500, 500, 500]);
    expect(error).toHaveBeenCalledTimes(1);
    const line = String(error.mock.calls[0]?.[0]);
    expect(line).toContain('INVALID_CREDENTIALS');
    expect(line).toContain('GET /me');
    expect(line).not.toContain('not-the-password');
    expect(line).not.toContain(EMULATOR_DEFAULTS.clientSecret);
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
    let signal: AbortSignal | undefined;
    const watched = new Proxy(a, {
      get(target, property) {
        if (property === 'getToken') {
          return (options: { signal?: AbortSignal }) => {
            signal = options.signal;
            return target.getToken(options);
          };
        }
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const { url, calls } = await app(a, goToAuth(watched, { logger: false }));
    const client = new AbortController();

    const request = fetch(`${url}/me`, { signal: client.signal }).catch((error: unknown) => error);
    await until(() => signal !== undefined);
    expect(signal?.aborted).toBe(false);
    client.abort();

    await until(() => signal?.aborted === true);
    expect(await request).toMatchObject({ name: 'AbortError' });
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
