/**
 * Interceptors added after attachGoToAuth run before its own, and may copy the config or point
 * it elsewhere: the token must follow the request's final URL, never the one axios started with.
 */
import { authNoFloor as auth, emulator, json, recorder as server } from '@goto-auth/test-support';
import axios from 'axios';
import { describe, expect, it } from 'vitest';
import { attachGoToAuth } from '../src/index.js';

describe('attachGoToAuth with interceptors added after it (axios runs them first)', () => {
  it('puts the cached token on a request whose config another interceptor copied', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const token = (await a.getToken()).accessToken;
    const api = await server((_req, res) => json(res, 200, {}));
    const goto = axios.create({ baseURL: api.url });
    attachGoToAuth(goto, a, { origins: [api.url] });
    goto.interceptors.request.use((config) => ({ ...config }));

    await goto.get('/x');

    expect(api.received.map((r) => r.authorization)).toEqual([`Bearer ${token}`]);
  });

  it.each([
    ['cached', true],
    ['not yet cached', false],
  ])(
    'keeps the token off a request another interceptor re-points at a foreign origin (token %s)',
    async (_name, warm) => {
      const emu = await emulator();
      const a = auth(emu);
      if (warm) await a.getToken();
      const foreign = await server((_req, res) => json(res, 200, {}));
      const goto = axios.create({ baseURL: emu.url });
      attachGoToAuth(goto, a);
      goto.interceptors.request.use((config) => {
        config.baseURL = foreign.url;
        return config;
      });

      await goto.get('/x');

      expect(foreign.received.map((r) => r.authorization)).toEqual([undefined]);
    },
  );

  it('carries a token when the cached one is dropped while a later async interceptor copies the config', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const first = (await a.getToken()).accessToken;
    const api = await server((_req, res) => json(res, 200, {}));
    const goto = axios.create({ baseURL: api.url });
    attachGoToAuth(goto, a, { origins: [api.url] });
    // Asynchronous, so axios runs the chain on promises; GoTo rejects the token meanwhile.
    goto.interceptors.request.use(async (config) => {
      a.invalidate(first);
      return { ...config };
    });

    await goto.get('/x');

    const fresh = (await a.getToken()).accessToken;
    expect(fresh).not.toBe(first);
    expect(api.received.map((r) => r.authorization)).toEqual([`Bearer ${fresh}`]);
  });

  it('keeps the cached token on the synchronous path when a later synchronous interceptor copies the config', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const token = (await a.getToken()).accessToken;
    const api = await server((_req, res) => json(res, 200, {}));
    const goto = axios.create({ baseURL: api.url });
    attachGoToAuth(goto, a, { origins: [api.url] });
    goto.interceptors.request.use((config) => ({ ...config }), undefined, { synchronous: true });

    await goto.get('/x');

    expect(api.received.map((r) => r.authorization)).toEqual([`Bearer ${token}`]);
  });
});
