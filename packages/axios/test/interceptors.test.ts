import { Readable } from 'node:stream';
import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import {
  authNoFloor as auth,
  emulator,
  grants,
  json,
  rejection,
  recorder as server,
} from '@goto-auth/test-support';
import axios, { AxiosError } from 'axios';
import { describe, expect, it, vi } from 'vitest';
import { attachGoToAuth } from '../src/index.js';

const ME = '/admin/rest/v1/me';

/**
 * attachGoToAuth from a fresh copy of the module: its URL pattern is built when the file loads,
 * and mutation testing must see a change to it.
 */
async function freshAttach(): Promise<typeof attachGoToAuth> {
  vi.resetModules();
  return (await import('../src/index.js')).attachGoToAuth;
}

interface Me {
  organizerKey: string;
}

async function axiosError(promise: Promise<unknown>): Promise<AxiosError> {
  const error = await rejection(promise);
  if (!(error instanceof AxiosError)) throw new Error(`expected an AxiosError, got ${error}`);
  return error;
}

describe('attachGoToAuth', () => {
  it('puts the token on requests to the GoTo origin, however axios builds their URL', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const foreign = await server((_req, res) => json(res, 200, { ok: true }));
    const goto = axios.create({ baseURL: emu.url });
    attachGoToAuth(goto, a);
    const bearer = `Bearer ${(await a.getToken()).accessToken}`;

    expect((await goto.get<Me>(ME)).data.organizerKey).toBe(EMULATOR_DEFAULTS.organizerKey);
    expect((await goto.get<Me>(ME.slice(1))).status).toBe(200);
    expect((await goto.get<Me>(`${emu.url}${ME}`, { baseURL: undefined })).status).toBe(200);
    // Absolute URLs elsewhere bypass baseURL: no token for them.
    await goto.post(`${foreign.url}/hook`, { hello: 'world' });
    await goto.get(`${foreign.url}/x`, { headers: { Authorization: 'Basic theirs' } });
    // ...unless allowAbsoluteUrls is false, when axios joins them to baseURL (the GoTo origin).
    const joined = axios.create({ baseURL: foreign.url, allowAbsoluteUrls: false });
    attachGoToAuth(joined, a, { origins: [foreign.url] });
    await joined.get(`${emu.url}/y`).catch(() => undefined);

    expect(foreign.received.map((r) => r.authorization)).toEqual([
      undefined,
      'Basic theirs',
      bearer,
    ]);
    expect(emu.counters.meCalls).toBe(3);
    expect(emu.counters.meRejected).toBe(0);
  });

  it('recovers 50 concurrent requests rejected together with one grant and 50 retries', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const goto = axios.create({ baseURL: a.baseUrl });
    attachGoToAuth(goto, a);
    await goto.get(ME);
    emu.reset();
    // Another client with the same credentials mints a token: GoTo revokes ours.
    const other = auth(emu);
    await other.getToken();
    emu.reset();

    const answers = await Promise.all(Array.from({ length: 50 }, () => goto.get<Me>(ME)));

    expect(answers.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(answers.every((r) => r.data.organizerKey === EMULATOR_DEFAULTS.organizerKey)).toBe(true);
    expect(grants(emu)).toBe(1);
    expect(emu.counters.meRejected).toBe(50);
    expect(emu.counters.meCalls).toBe(100);
    expect(answers.filter((r) => r.config.goToAuthRetried === true)).toHaveLength(50);
  });

  it('shares one grant between two instances on one auth object', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const one = axios.create({ baseURL: a.baseUrl });
    const two = axios.create({ baseURL: a.baseUrl });
    attachGoToAuth(one, a);
    attachGoToAuth(two, a);
    await one.get(ME);
    emu.reset();
    emu.revokeAll();

    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? one : two).get<Me>(ME)),
    );

    expect(answers.map((r) => r.status)).toEqual(Array(40).fill(200));
    expect(grants(emu)).toBe(1);
    expect(emu.counters.meCalls).toBe(80);
  });

  it('gives up after exactly 2 attempts when the rejection persists', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const api = await server((_req, res) => json(res, 401, { error: 'unauthorized' }));
    const goto = axios.create({ baseURL: api.url });
    attachGoToAuth(goto, a, { origins: [api.url] });

    const error = await axiosError(goto.get('/x'));

    expect(error.response?.status).toBe(401);
    expect(error.config?.goToAuthRetried).toBe(true);
    const sent = api.received.map((r) => r.authorization);
    expect(sent).toHaveLength(2);
    expect(sent[0]).not.toBe(sent[1]);
    expect(grants(emu)).toBe(2);
  });

  it('retries a JSON POST once with its body, also when validateStatus lets the 403 through', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const first = (await a.getToken()).accessToken;
    const api = await server((req, res, body) => {
      if (req.headers.authorization === `Bearer ${first}`) {
        json(res, 403, { int_err_code: 'InvalidToken', msg: 'Invalid token passed' });
      } else json(res, 201, { echoed: JSON.parse(body) });
    });
    const goto = axios.create({ baseURL: api.url, validateStatus: () => true });
    attachGoToAuth(goto, a, { origins: [api.url] });

    const answer = await goto.post('/items', { n: 1 });

    expect(answer.status).toBe(201);
    expect(answer.data).toEqual({ echoed: { n: 1 } });
    expect(api.received.map((r) => [r.method, r.body])).toEqual([
      ['POST', '{"n":1}'],
      ['POST', '{"n":1}'],
    ]);
    expect(grants(emu)).toBe(2);
  });

  it('does not retry a stream body, and still invalidates the token', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const api = await server((_req, res) => json(res, 401, {}));
    const goto = axios.create({ baseURL: api.url });
    attachGoToAuth(goto, a, { origins: [api.url] });
    const before = (await a.getToken()).accessToken;

    const error = await axiosError(goto.post('/upload', Readable.from(['streamed'])));

    expect(error.response?.status).toBe(401);
    expect(api.received.map((r) => r.body)).toEqual(['streamed']);
    expect((await a.getToken()).accessToken).not.toBe(before);
  });

  it('leaves 403s that are not token rejections alone', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const api = await server((req, res) => {
      if (req.url === '/text') res.writeHead(403).end('forbidden');
      else json(res, 403, { int_err_code: 'NoPermission' });
    });
    const goto = axios.create({ baseURL: api.url });
    attachGoToAuth(goto, a, { origins: [api.url] });

    expect((await axiosError(goto.get('/json'))).response?.status).toBe(403);
    expect((await axiosError(goto.get('/text'))).response?.status).toBe(403);
    expect(api.received).toHaveLength(2);
    expect(grants(emu)).toBe(1);
  });

  it('does not act on a 401 when another interceptor replaced our Authorization header', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const token = (await a.getToken()).accessToken;
    const api = await server((_req, res) => json(res, 401, {}));
    const goto = axios.create({ baseURL: api.url });
    // Registered first, so axios runs it after ours.
    goto.interceptors.request.use((config) => {
      config.headers.set('Authorization', 'Basic c29tZW9uZTplbHNl');
      return config;
    });
    attachGoToAuth(goto, a, { origins: [api.url] });

    expect((await axiosError(goto.get('/x'))).response?.status).toBe(401);
    expect(api.received.map((r) => r.authorization)).toEqual(['Basic c29tZW9uZTplbHNl']);
    expect((await a.getToken()).accessToken).toBe(token);
  });

  it('never lets the token follow a redirect to another host', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const foreign = await server((_req, res) => json(res, 200, { landed: true }));
    const api = await server((_req, res) => {
      res.writeHead(302, { location: `${foreign.url.replace('127.0.0.1', 'localhost')}/in` });
      res.end();
    });
    const goto = axios.create({ baseURL: api.url });
    attachGoToAuth(goto, a, { origins: [api.url] });

    expect((await goto.get('/moved')).data).toEqual({ landed: true });
    expect(api.received[0]?.authorization).toBe(`Bearer ${(await a.getToken()).accessToken}`);
    expect(foreign.received.map((r) => r.authorization)).toEqual([undefined]);
  });

  it('cancels as axios does when aborted while waiting for a token, sending nothing', async () => {
    const emu = await emulator();
    emu.fault({ type: 'latency', ms: 60_000 });
    const a = auth(emu);
    const goto = axios.create({ baseURL: emu.url });
    attachGoToAuth(goto, a);
    const controller = new AbortController();

    const call = goto.get(ME, { signal: controller.signal });
    controller.abort();

    expect(axios.isCancel(await rejection(call))).toBe(true);
    expect(emu.counters.meCalls).toBe(0);
  });

  it('rejects with the GoToAuthError when no token can be had, without calling the API', async () => {
    const emu = await emulator();
    const a = auth(emu, { password: 'wrong' });
    const goto = axios.create({ baseURL: emu.url });
    attachGoToAuth(goto, a);

    await expect(goto.get(ME)).rejects.toMatchObject({
      name: 'GoToAuthError',
      code: 'INVALID_CREDENTIALS',
    });
    expect(emu.counters.meCalls).toBe(0);
  });

  it('removes both interceptors with the function it returns', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const goto = axios.create({ baseURL: emu.url });
    const detach = attachGoToAuth(goto, a);
    await goto.get(ME);

    detach();

    expect((await axiosError(goto.get(ME))).response?.status).toBe(403);
    expect(emu.counters.meCalls).toBe(2);
    expect(emu.counters.meRejected).toBe(1);
  });

  it('finds the origin of every URL shape axios builds', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const api = await server((_req, res) => json(res, 200, {}));
    const bearer = `Bearer ${(await a.getToken()).accessToken}`;
    const attach = await freshAttach();
    // A base URL with trailing slashes, and a relative path with '//' inside.
    const slashed = axios.create({ baseURL: `${api.url}//` });
    attach(slashed, a, { origins: [api.url] });
    await slashed.get('/a//b');
    await slashed.get('');

    expect(api.received.map((r) => [r.path, r.authorization])).toEqual([
      ['/a//b', bearer],
      ['//', bearer],
    ]);
  });

  it('puts no token on a URL axios treats as absolute elsewhere, whatever its scheme', async () => {
    const emu = await emulator();
    const a = auth(emu);
    await a.getToken();
    const seen: Array<[string | undefined, unknown]> = [];
    // An adapter that answers at once: it shows the request as axios would send it.
    const goto = axios.create({
      baseURL: emu.url,
      adapter: async (config) => {
        seen.push([config.url, config.headers.get('Authorization')]);
        return { data: {}, status: 200, statusText: 'OK', headers: {}, config, request: {} };
      },
    });
    (await freshAttach())(goto, a);

    await goto.get('//partner.example/x');
    await goto.get('s3://bucket/x');
    await goto.get('X-1.a+b://host/x');

    expect(seen).toEqual([
      ['//partner.example/x', undefined],
      ['s3://bucket/x', undefined],
      ['X-1.a+b://host/x', undefined],
    ]);
    expect(grants(emu)).toBe(1);
  });

  it('hands a request with a cached token to the adapter in the same tick', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const token = (await a.getToken()).accessToken;
    const seen: unknown[] = [];
    const goto = axios.create({
      baseURL: emu.url,
      adapter: async (config) => {
        seen.push(config.headers.get('Authorization'));
        return { data: {}, status: 200, statusText: 'OK', headers: {}, config, request: {} };
      },
    });
    attachGoToAuth(goto, a);

    const pending = goto.get(ME);
    expect(seen).toEqual([`Bearer ${token}`]);
    await pending;
    // Another origin takes the same synchronous path, untouched.
    const other = goto.get('https://partner.example/x');
    expect(seen).toEqual([`Bearer ${token}`, undefined]);
    await other;
  });

  it('retries a body axios can send again (none, null, a Buffer) and not a web stream', async () => {
    const emu = await emulator();
    const a = auth(emu);
    let first = (await a.getToken()).accessToken;
    const api = await server((req, res) => {
      if (req.headers.authorization === `Bearer ${first}`) json(res, 401, {});
      else json(res, 200, { ok: true });
    });
    const goto = axios.create({ baseURL: api.url });
    attachGoToAuth(goto, a, { origins: [api.url] });

    expect((await goto.post('/null', null)).data).toEqual({ ok: true });
    first = (await a.getToken()).accessToken;
    expect((await goto.post('/buffer', Buffer.from('bytes'))).data).toEqual({ ok: true });
    expect(api.received.map((r) => [r.path, r.body])).toEqual([
      ['/null', ''],
      ['/null', ''],
      ['/buffer', 'bytes'],
      ['/buffer', 'bytes'],
    ]);

    // axios's fetch adapter sends a web ReadableStream, which can be read only once.
    first = (await a.getToken()).accessToken;
    const fetching = axios.create({ baseURL: api.url, adapter: 'fetch' });
    attachGoToAuth(fetching, a, { origins: [api.url] });
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('streamed'));
        controller.close();
      },
    });
    const error = await axiosError(
      fetching.post('/web-stream', stream, { headers: { 'content-type': 'text/plain' } }),
    );
    expect(error.response?.status).toBe(401);
    expect(api.received.slice(4).map((r) => [r.path, r.body])).toEqual([
      ['/web-stream', 'streamed'],
    ]);
    expect((await a.getToken()).accessToken).not.toBe(first);
  });

  it('reads a 403 text body for InvalidToken, up to 64 KiB', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const rejected = new Set<string | undefined>();
    const api = await server((req, res) => {
      // The first request to each path is rejected, with a body padded to the size asked for.
      if (rejected.has(req.url)) {
        json(res, 200, { ok: true });
        return;
      }
      rejected.add(req.url);
      const size = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('size'));
      const body = JSON.stringify({ int_err_code: 'InvalidToken', pad: '' });
      const padded = `${body.slice(0, -2)}${'x'.repeat(Math.max(0, size - body.length))}"}`;
      res.writeHead(403, { 'content-type': 'text/plain' }).end(padded);
    });
    const goto = axios.create({ baseURL: api.url, responseType: 'text' });
    attachGoToAuth(goto, a, { origins: [api.url] });

    expect((await goto.get('/small?size=0')).status).toBe(200);
    expect((await goto.get('/cap?size=65536')).status).toBe(200);
    const over = await axiosError(goto.get('/over?size=65537'));
    expect(over.response?.status).toBe(403);
    expect(String(over.response?.data)).toHaveLength(65_537);
    expect(api.received.map((r) => r.path)).toEqual([
      '/small?size=0',
      '/small?size=0',
      '/cap?size=65536',
      '/cap?size=65536',
      '/over?size=65537',
    ]);
  });

  it('recovers a 401 that validateStatus lets through, and never retries a foreign 401', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const first = (await a.getToken()).accessToken;
    const api = await server((req, res) => {
      if (req.headers.authorization === `Bearer ${first}`) json(res, 401, {});
      else json(res, 200, { ok: true });
    });
    const foreign = await server((_req, res) => json(res, 401, {}));
    const goto = axios.create({ baseURL: api.url, validateStatus: () => true });
    attachGoToAuth(goto, a, { origins: [api.url] });

    expect((await goto.get('/x')).status).toBe(200);
    expect((await goto.get(`${foreign.url}/y`)).status).toBe(401);

    expect(api.received).toHaveLength(2);
    expect(foreign.received.map((r) => r.authorization)).toEqual([undefined]);
    expect(grants(emu)).toBe(2);
  });

  it('refuses origins that are http:// but not loopback', async () => {
    const emu = await emulator();
    expect(() =>
      attachGoToAuth(axios.create(), auth(emu), { origins: ['http://partner.example'] }),
    ).toThrow(expect.objectContaining({ code: 'INSECURE_ENDPOINT' }));
    expect(() =>
      attachGoToAuth(axios.create(), auth(emu), { origins: ['http://evil.localhost'] }),
    ).toThrow(
      expect.objectContaining({
        code: 'INSECURE_ENDPOINT',
        message: expect.stringContaining('attachGoToAuth: "origins"'),
      }),
    );
  });
});
