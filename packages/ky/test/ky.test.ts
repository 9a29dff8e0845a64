import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import ky, { HTTPError, isHTTPError } from 'ky';
import { describe, expect, it } from 'vitest';
import { goToKy } from '../src/index.js';
import { auth, emulator, grants, json, server } from './helpers.js';

const ME = 'admin/rest/v1/me';

interface Me {
  organizerKey: string;
}

describe('goToKy', () => {
  it('calls GoTo with the token, prefixed with auth.baseUrl, and sends it nowhere else', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const foreign = await server((_req, res) => json(res, 200, { ok: true }));
    const goto = goToKy(a);

    expect((await goto.get(ME).json<Me>()).organizerKey).toBe(EMULATOR_DEFAULTS.organizerKey);
    await goto.post(`${foreign.url}/hook`, { prefix: '', json: { hello: 'world' } }).json();

    expect(foreign.received.map((r) => [r.authorization, r.body])).toEqual([
      [undefined, '{"hello":"world"}'],
    ]);
    expect(emu.counters.meRejected).toBe(0);
  });

  it('recovers 200 parallel calls from a revocation with exactly 1 new grant', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const goto = goToKy(a);
    await goto.get(ME).json();
    emu.reset();
    emu.revokeAll();

    const results = await Promise.all(Array.from({ length: 200 }, () => goto.get(ME).json<Me>()));

    expect(results.every((me) => me.organizerKey === EMULATOR_DEFAULTS.organizerKey)).toBe(true);
    expect(grants(emu)).toBe(1);
    expect(emu.counters.meRejected).toBe(200);
    expect(emu.counters.meCalls).toBe(400);
  });

  it('retries a JSON POST once with its body, then gives up with HTTPError', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const first = (await a.getToken()).accessToken;
    const api = await server((req, res, body) => {
      if (req.headers.authorization === `Bearer ${first}`) json(res, 401, {});
      else json(res, 201, { echoed: JSON.parse(body) });
    });
    const always = await server((_req, res) => json(res, 401, {}));
    const goto = goToKy(a, { prefix: '', origins: [api.url, always.url] });

    expect(await goto.post(`${api.url}/items`, { json: { n: 1 } }).json()).toEqual({
      echoed: { n: 1 },
    });
    const error = await goto.get(`${always.url}/x`).then(
      () => undefined,
      (caught: unknown) => caught,
    );

    expect(api.received.map((r) => [r.method, r.body])).toEqual([
      ['POST', '{"n":1}'],
      ['POST', '{"n":1}'],
    ]);
    expect(isHTTPError(error) && error.response.status).toBe(401);
    expect(always.received).toHaveLength(2);
  });

  it('keeps ky options, and calls the given fetch', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const seen: string[] = [];
    const goto = goToKy(a, {
      headers: { 'x-app': 'sample' },
      fetch: (input, init) => {
        seen.push(input instanceof Request ? (input.headers.get('x-app') ?? '') : '');
        return fetch(input, init);
      },
    });

    await goto.get(ME).json();
    await expect(goToKy(a, { prefix: `${emu.url}/nowhere` }).get(ME)).rejects.toThrow(HTTPError);

    expect(seen).toEqual(['sample']);
  });

  it('keeps the token off a retry another hook re-points at a foreign origin', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const foreign = await server((_req, res) => json(res, 200, { foreign: true }));
    const api = await server((_req, res) => json(res, 401, {}));
    const goto = goToKy(a, {
      prefix: '',
      origins: [api.url],
      hooks: {
        afterResponse: [
          ({ request, response }) => {
            if (response.status === 401) {
              return ky.retry({ request: new Request(`${foreign.url}/elsewhere`, request) });
            }
          },
        ],
      },
    });

    expect(await goto.get(`${api.url}/x`).json()).toEqual({ foreign: true });
    expect(api.received).toHaveLength(2);
    expect(foreign.received.map((r) => r.authorization)).toEqual([undefined]);
  });

  it('rejects with the caller’s abort reason while it waits for a token', async () => {
    const emu = await emulator();
    emu.fault({ type: 'latency', ms: 60_000 });
    const a = auth(emu);
    const controller = new AbortController();
    const reason = new Error('caller gave up');

    const call = goToKy(a).get(ME, { signal: controller.signal });
    controller.abort(reason);

    await expect(call).rejects.toBe(reason);
    expect(emu.counters.meCalls).toBe(0);
  });

  it('refuses origins that are http:// but not loopback', async () => {
    const emu = await emulator();
    expect(() => goToKy(auth(emu), { origins: ['http://partner.example'] })).toThrow(
      expect.objectContaining({ code: 'INSECURE_ENDPOINT' }),
    );
  });
});
