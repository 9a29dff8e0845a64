import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createGoToAuth } from '@goto-auth/core';
import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import { stubGoToEnv } from '@goto-auth/test-support';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { expect, it } from 'vitest';
import { type GoToAuthEnv, goToAuth } from '../src/index.js';
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
  const app = new Hono<GoToAuthEnv>();
  app.get('/goto/me', goToAuth(auth), async (c) => {
    const me = await fetch(`${auth.baseUrl}/admin/rest/v1/me`, {
      headers: { authorization: `Bearer ${c.var.goto.accessToken}` },
    });
    return c.json(await me.json(), me.ok ? 200 : 502);
  });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
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

it("shows the Worker that runs in workerd's test", () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('### In a Cloudflare Worker'));
  const shown = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const worker = readFileSync(new URL('./fixtures/worker.ts', import.meta.url), 'utf8');
  const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');
  expect(lines(shown).length).toBeGreaterThan(10);
  expect(lines(worker)).toEqual(expect.arrayContaining(lines(shown)));
});
