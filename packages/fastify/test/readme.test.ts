import { createGoToAuth } from '@goto-auth/core';
import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import { stubGoToEnv } from '@goto-auth/test-support';
import Fastify from 'fastify';
import { expect, it } from 'vitest';
import { goToAuthPlugin } from '../src/index.js';
import { emulator, onCleanup } from './helpers.js';

it('runs the README usage against the emulator', async () => {
  const emu = await emulator();
  stubGoToEnv(emu);

  // --- README usage (the imports are above; the port is 0 and the host loopback here) ---
  const auth = createGoToAuth({
    clientId: process.env.GOTO_CLIENT_ID ?? '',
    userId: process.env.GOTO_USER_ID ?? '',
    password: process.env.GOTO_PASSWORD ?? '',
    baseUrl: process.env.GOTO_BASE_URL, // optional: https://api.getgo.com by default
  });
  const app = Fastify();
  await app.register(goToAuthPlugin, { auth });
  app.get('/goto/me', { config: { goto: true } }, async (request, reply) => {
    const me = await fetch(`${app.goto.baseUrl}/admin/rest/v1/me`, {
      headers: { authorization: `Bearer ${request.goto.accessToken}` },
    });
    return reply.code(me.status).send(await me.json());
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  // --- end of README usage ---
  onCleanup(() => auth.close());
  onCleanup(() => app.close());

  const response = await fetch(`${url}/goto/me`);

  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ organizerKey: EMULATOR_DEFAULTS.organizerKey });
  expect(emu.counters.passwordGrants).toBe(1);
});
