import type { AddressInfo } from 'node:net';
import { createGoToAuth } from '@goto-auth/core';
import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import { stubGoToEnv } from '@goto-auth/test-support';
import express from 'express';
import { expect, it } from 'vitest';
import { goToAuth } from '../src/index.js';
import { emulator, onCleanup } from './helpers.js';

it('runs the README usage against the emulator', async () => {
  const emu = await emulator();
  stubGoToEnv(emu);

  // --- README usage (the imports are above; the port is 0 here) ---
  const auth = createGoToAuth({
    clientId: process.env.GOTO_CLIENT_ID ?? '',
    userId: process.env.GOTO_USER_ID ?? '',
    password: process.env.GOTO_PASSWORD ?? '',
    baseUrl: process.env.GOTO_BASE_URL, // optional: https://api.getgo.com by default
  });
  const app = express();
  app.get('/goto/me', goToAuth(auth), async (req, res) => {
    const me = await fetch(`${auth.baseUrl}/admin/rest/v1/me`, {
      headers: { authorization: `Bearer ${req.goto.accessToken}` },
    });
    res.status(me.status).json(await me.json());
  });
  const server = app.listen(0, '127.0.0.1');
  // --- end of README usage ---
  onCleanup(() => auth.close());
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await new Promise((resolve) => server.once('listening', resolve));

  const response = await fetch(
    `http://127.0.0.1:${(server.address() as AddressInfo).port}/goto/me`,
  );

  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ organizerKey: EMULATOR_DEFAULTS.organizerKey });
  expect(emu.counters.passwordGrants).toBe(1);
});

it('runs the README health check: 503 before a token, 200 while one serves, 503 with the code', async () => {
  const emu = await emulator();
  const auth = createGoToAuth({
    clientId: EMULATOR_DEFAULTS.clientId,
    userId: EMULATOR_DEFAULTS.userId,
    password: EMULATOR_DEFAULTS.password,
    baseUrl: emu.url,
    logger: false,
    retry: false,
    minGrantInterval: 0,
  });
  onCleanup(() => auth.close());
  const app = express();

  // --- README health check ---
  app.get('/health/goto', (_req, res) => {
    const { serving: up, state, lastError } = auth.status();
    res.status(up ? 200 : 503).json({ status: up ? 'up' : 'down', state, code: lastError?.code });
  });
  // --- end of README health check ---

  const server = app.listen(0, '127.0.0.1');
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await new Promise((resolve) => server.once('listening', resolve));
  const health = async () => {
    const response = await fetch(
      `http://127.0.0.1:${(server.address() as AddressInfo).port}/health/goto`,
    );
    return { status: response.status, body: await response.json() };
  };

  expect(await health()).toEqual({ status: 503, body: { status: 'down', state: 'empty' } });
  await auth.getToken();
  expect(await health()).toEqual({ status: 200, body: { status: 'up', state: 'valid' } });
  emu.revokeAll();
  auth.invalidate((await auth.getToken()).accessToken);
  emu.fault({ type: 'status', status: 503 });
  await auth.getToken().catch(() => undefined);
  const down = await health();
  expect(down.status).toBe(503);
  expect(down.body).toMatchObject({ status: 'down', code: 'SERVER_ERROR' });
});
