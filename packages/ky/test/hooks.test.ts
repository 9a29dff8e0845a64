import type { ServerResponse } from 'node:http';
import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import ky, { HTTPError, isForceRetryError, isHTTPError } from 'ky';
import { describe, expect, it } from 'vitest';
import { goToAuthHooks } from '../src/index.js';
import { auth, emulator, grants, json, server } from './helpers.js';

const ME = '/admin/rest/v1/me';

interface Me {
  organizerKey: string;
}

async function rejection(promise: Promise<unknown>): Promise<HTTPError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isHTTPError(error)) throw new Error(`expected an HTTPError, got ${String(error)}`);
  return error;
}

describe('goToAuthHooks', () => {
  it('puts the token on requests to the GoTo origin and on no other origin', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const foreign = await server((_req, res) => json(res, 200, { ok: true }));
    const api = ky.create({ hooks: goToAuthHooks(a) });

    const me = await api.get(`${emu.url}${ME}`).json<Me>();
    expect(me.organizerKey).toBe(EMULATOR_DEFAULTS.organizerKey);
    await api.post(`${foreign.url}/hook`, { json: { hello: 'world' } }).json();

    expect(foreign.received).toHaveLength(1);
    expect(foreign.received[0]?.authorization).toBeUndefined();
    expect(emu.counters.meRejected).toBe(0);
  });

  it('sends the token to the configured origins only', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const partner = await server((_req, res) => json(res, 200, {}));
    const api = ky.create({ hooks: goToAuthHooks(a, { origins: [`${partner.url}/any/path`] }) });

    await api.get(`${partner.url}/x`).json();
    await expect(api.get(`${emu.url}${ME}`).json()).rejects.toThrow(HTTPError);

    const { accessToken } = await a.getToken();
    expect(partner.received[0]?.authorization).toBe(`Bearer ${accessToken}`);
    // Not configured any more, so the emulator got no token and refused the call.
    expect(emu.counters.meRejected).toBe(1);
  });

  it('recovers 200 parallel calls from a revocation with exactly 1 new grant', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const api = ky.create({ prefix: emu.url, hooks: goToAuthHooks(a) });
    await api.get(ME.slice(1)).json();
    const before = await a.getToken();
    emu.reset();
    emu.revokeAll();

    const results = await Promise.all(
      Array.from({ length: 200 }, () => api.get(ME.slice(1)).json<Me>()),
    );

    expect(results.every((me) => me.organizerKey === EMULATOR_DEFAULTS.organizerKey)).toBe(true);
    expect(grants(emu)).toBe(1);
    expect(emu.counters.meRejected).toBe(200);
    expect(emu.counters.meCalls).toBe(400);
    expect((await a.getToken()).accessToken).not.toBe(before.accessToken);
  });

  it('gives up with HTTPError after exactly 2 attempts when the 403 persists', async () => {
    const emu = await emulator();
    const a = auth(emu);
    // Someone else mints a token right before each call reaches GoTo: every token we send is dead.
    const api = ky.create({
      hooks: goToAuthHooks(a),
      fetch: (input, init) => {
        emu.revokeAll();
        return fetch(input, init);
      },
    });

    const error = await rejection(api.get(`${emu.url}${ME}`).json());

    expect(error.response.status).toBe(403);
    expect(error.data).toEqual({ int_err_code: 'InvalidToken', msg: 'Invalid token passed' });
    expect(emu.counters.meCalls).toBe(2);
    expect(emu.counters.meRejected).toBe(2);
    expect(grants(emu)).toBe(2);
  });

  it('gives up with HTTPError after exactly 2 attempts when the 401 persists, with a fresh token on the second', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const api401 = await server((_req, res) => json(res, 401, { error: 'unauthorized' }));
    const api = ky.create({ hooks: goToAuthHooks(a, { origins: [api401.url] }) });

    const error = await rejection(api.get(`${api401.url}/x`));

    expect(error.response.status).toBe(401);
    const sent = api401.received.map((r) => r.authorization);
    expect(sent).toHaveLength(2);
    expect(sent[0]).not.toBe(sent[1]);
    expect(grants(emu)).toBe(2);
    // The second token was rejected too: the next call starts with a third one.
    const next = `Bearer ${(await a.getToken()).accessToken}`;
    expect(sent).not.toContain(next);
    expect(grants(emu)).toBe(3);
  });

  it('retries a POST once with its body and the fresh token', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const first = (await a.getToken()).accessToken;
    const api = await server((req, res, body) => {
      if (req.headers.authorization === `Bearer ${first}`) json(res, 401, {});
      else json(res, 201, { echoed: JSON.parse(body) });
    });
    const client = ky.create({ hooks: goToAuthHooks(a, { origins: [api.url] }) });

    const answer = await client.post(`${api.url}/items`, { json: { n: 1 } }).json();

    expect(answer).toEqual({ echoed: { n: 1 } });
    expect(api.received.map((r) => [r.method, r.body])).toEqual([
      ['POST', '{"n":1}'],
      ['POST', '{"n":1}'],
    ]);
    expect(grants(emu)).toBe(2);
  });

  it('with retry: 0, answers the rejection as HTTPError at once and the next call gets a fresh token', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const api = ky.create({ prefix: emu.url, retry: 0, hooks: goToAuthHooks(a) });
    await api.get(ME.slice(1)).json();
    emu.reset();
    emu.revokeAll();

    const error = await rejection(api.get(ME.slice(1)).json());
    expect(error.response.status).toBe(403);
    expect(emu.counters.meCalls).toBe(1);
    expect(grants(emu)).toBe(0);

    expect(await api.get(ME.slice(1)).json<Me>()).toHaveProperty('organizerKey');
    expect(grants(emu)).toBe(1);
    expect(emu.counters.meRejected).toBe(1);
  });

  it('does not throw away a fresh token when a stale 401 arrives', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const old = (await a.getToken()).accessToken;
    let hold: ((res: ServerResponse) => void) | undefined;
    const held = new Promise<ServerResponse>((resolve) => {
      hold = resolve;
    });
    const api = await server((req, res) => {
      if (req.headers.authorization === `Bearer ${old}`) hold?.(res);
      else json(res, 200, { ok: true });
    });
    const client = ky.create({ hooks: goToAuthHooks(a, { origins: [api.url] }) });

    const pending = client.get(`${api.url}/slow`).json();
    const slow = await held;
    // Meanwhile another call had the old token rejected, and a new one arrived.
    expect(a.invalidate(old)).toBe(true);
    const fresh = (await a.getToken()).accessToken;
    expect(grants(emu)).toBe(2);
    json(slow, 401, {});

    expect(await pending).toEqual({ ok: true });
    expect(api.received.map((r) => r.authorization)).toEqual([`Bearer ${old}`, `Bearer ${fresh}`]);
    expect((await a.getToken()).accessToken).toBe(fresh);
    expect(grants(emu)).toBe(2);
  });

  it('leaves a 403 that is not a token rejection alone', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const api = await server((_req, res) => json(res, 403, { int_err_code: 'NoPermission' }));
    const client = ky.create({ hooks: goToAuthHooks(a, { origins: [api.url] }) });

    const error = await rejection(client.get(`${api.url}/x`));

    expect(error.response.status).toBe(403);
    expect(api.received).toHaveLength(1);
    expect(grants(emu)).toBe(1);
  });

  it('rejects with the GoToAuthError when no token can be had, without calling the API', async () => {
    const emu = await emulator();
    const a = auth(emu, { password: 'wrong' });
    const api = ky.create({ hooks: goToAuthHooks(a) });

    await expect(api.get(`${emu.url}${ME}`)).rejects.toMatchObject({
      name: 'GoToAuthError',
      code: 'INVALID_CREDENTIALS',
    });
    expect(emu.counters.meCalls).toBe(0);
  });

  it('rejects with the caller’s abort reason while it waits for a token', async () => {
    const emu = await emulator();
    emu.fault({ type: 'latency', ms: 60_000 });
    const a = auth(emu);
    const api = ky.create({ hooks: goToAuthHooks(a) });
    const controller = new AbortController();
    const reason = new Error('caller gave up');

    const call = api.get(`${emu.url}${ME}`, { signal: controller.signal });
    controller.abort(reason);

    await expect(call).rejects.toBe(reason);
    expect(emu.counters.meCalls).toBe(0);
  });

  it('refuses origins that are http:// but not loopback, with a clear error', async () => {
    const emu = await emulator();
    const a = auth(emu);

    expect(() => goToAuthHooks(a, { origins: ['http://evil.localhost:8080'] })).toThrow(
      expect.objectContaining({ code: 'INSECURE_ENDPOINT' }),
    );
    expect(() => goToAuthHooks(a, { origins: ['http://partner.example'] })).toThrow(
      expect.objectContaining({
        code: 'INSECURE_ENDPOINT',
        message: expect.stringContaining('goToAuthHooks: "origins"'),
      }),
    );
    expect(() =>
      goToAuthHooks(a, { origins: ['https://partner.example/api', 'http://127.0.0.1:8080'] }),
    ).not.toThrow();
  });

  it('keeps the token off a retry another hook re-points at a foreign origin', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const first = (await a.getToken()).accessToken;
    const foreign = await server((_req, res) => json(res, 200, { foreign: true }));
    const api = await server((_req, res) => json(res, 401, {}));
    const client = ky.create({ hooks: goToAuthHooks(a, { origins: [api.url] }) }).extend({
      hooks: {
        afterResponse: [
          ({ request, response }) => {
            // Moves the retry elsewhere with a copy of the request, headers included.
            if (response.status === 401) {
              return ky.retry({ request: new Request(`${foreign.url}/elsewhere`, request) });
            }
          },
        ],
      },
    });

    expect(await client.get(`${api.url}/x`).json()).toEqual({ foreign: true });

    expect(api.received[0]?.authorization).toBe(`Bearer ${first}`);
    expect(foreign.received).toHaveLength(1);
    expect(foreign.received[0]?.authorization).toBeUndefined();
  });

  it('does not act on a 401 when another hook replaced our Authorization header', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const token = (await a.getToken()).accessToken;
    const api = await server((_req, res) => json(res, 401, {}));
    const client = ky.create({ hooks: goToAuthHooks(a, { origins: [api.url] }) }).extend({
      hooks: {
        beforeRequest: [
          ({ request }) => {
            request.headers.set('authorization', 'Basic c29tZW9uZTplbHNl');
          },
        ],
      },
    });

    const error = await rejection(client.get(`${api.url}/x`));

    expect(error.response.status).toBe(401);
    expect(api.received.map((r) => r.authorization)).toEqual(['Basic c29tZW9uZTplbHNl']);
    expect((await a.getToken()).accessToken).toBe(token);
    expect(grants(emu)).toBe(1);
  });

  it('keeps two calls apart when the instance gives them one shared context', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const first = (await a.getToken()).accessToken;
    let waiting: Array<() => void> = [];
    const api = await server((req, res) => {
      if (req.headers.authorization !== `Bearer ${first}`) {
        json(res, 200, { ok: true });
        return;
      }
      // Both calls are in flight before either is rejected.
      waiting.push(() => json(res, 401, {}));
      if (waiting.length === 2) {
        for (const answer of waiting) answer();
        waiting = [];
      }
    });
    const tenants: unknown[] = [];
    const client = ky
      .create({ context: { tenant: 'acme' }, hooks: goToAuthHooks(a, { origins: [api.url] }) })
      .extend({
        hooks: {
          beforeRequest: [
            ({ options }) => {
              tenants.push(options.context.tenant);
            },
          ],
        },
      });

    const answers = await Promise.all([
      client.get(`${api.url}/one`).json(),
      client.get(`${api.url}/two`).json(),
    ]);

    expect(answers).toEqual([{ ok: true }, { ok: true }]);
    expect(api.received).toHaveLength(4);
    expect(grants(emu)).toBe(2);
    // The caller's context still reaches the other hooks.
    expect(tenants).toEqual(['acme', 'acme']);
  });

  it('retries a rejection at once, whatever the retry delay, and says why to beforeRetry hooks', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const first = (await a.getToken()).accessToken;
    const api = await server((req, res) => {
      if (req.headers.authorization === `Bearer ${first}`) json(res, 401, {});
      else json(res, 200, { ok: true });
    });
    const codes: unknown[] = [];
    const client = ky
      .create({
        retry: { limit: 2, delay: () => 600_000 },
        hooks: goToAuthHooks(a, { origins: [api.url] }),
      })
      .extend({
        hooks: {
          beforeRetry: [
            ({ error }) => {
              codes.push(isForceRetryError(error) ? error.code : error.name);
            },
          ],
        },
      });

    expect(await client.get(`${api.url}/x`).json()).toEqual({ ok: true });
    expect(codes).toEqual(['GOTO_TOKEN_REJECTED']);
  });

  it("lets ky retry calls to other origins untouched, and keeps another hook's own header on a retry it re-points", async () => {
    const emu = await emulator();
    const a = auth(emu);
    const flaky = await server((_req, res, _body, received) => {
      if (received.length === 1) json(res, 503, {});
      else json(res, 200, { flaky: true });
    });
    const foreign = await server((_req, res) => json(res, 200, { foreign: true }));
    const api = await server((_req, res) => json(res, 401, {}));
    const client = ky
      .create({
        retry: { limit: 2, delay: () => 0 },
        hooks: goToAuthHooks(a, { origins: [api.url] }),
      })
      .extend({
        hooks: {
          afterResponse: [
            ({ request, response }) => {
              // Moves the retry elsewhere, with credentials of its own for that origin.
              if (response.status === 401 && request.url.startsWith(api.url)) {
                const moved = new Request(`${foreign.url}/elsewhere`, request);
                moved.headers.set('authorization', 'Basic b3RoZXI6Y3JlZGVudGlhbHM=');
                return ky.retry({ request: moved });
              }
            },
          ],
        },
      });

    // A 503 from an origin that gets no token: ky's own retry, which our hooks leave alone.
    expect(await client.get(`${flaky.url}/x`).json()).toEqual({ flaky: true });
    expect(flaky.received.map((r) => r.authorization)).toEqual([undefined, undefined]);

    expect(await client.get(`${api.url}/y`).json()).toEqual({ foreign: true });
    expect(foreign.received.map((r) => r.authorization)).toEqual([
      'Basic b3RoZXI6Y3JlZGVudGlhbHM=',
    ]);
    // Our retry with a fresh token came first; the other hook moved the second one.
    expect(api.received).toHaveLength(2);
  });
});
