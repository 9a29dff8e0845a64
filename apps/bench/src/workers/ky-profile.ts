/**
 * Calls GoTo through `goToAuthHooks` on a `fetch` that answers at once, many times, so that
 * `node --cpu-prof` shows where a call's time goes. Reports when done.
 */
import { createGoToAuth } from '@goto-auth/core';
import { goToAuthHooks } from '@goto-auth/ky';
import ky from 'ky';
import { CREDENTIALS, fakeGoToFetch } from '../lib/goto.ts';

const calls = Number(process.argv[2] ?? 3000);
const auth = createGoToAuth({
  ...CREDENTIALS,
  baseUrl: 'http://127.0.0.1:9',
  fetch: fakeGoToFetch(),
  logger: false,
});
await auth.getToken();
const body = JSON.stringify({ ok: true });
const api = ky.create({
  prefix: 'http://127.0.0.1:9',
  hooks: goToAuthHooks(auth),
  fetch: async () =>
    new Response(body, { status: 200, headers: { 'content-type': 'application/json' } }),
});
for (let i = 0; i < calls; i++) await api.get('admin/rest/v1/me').json();
await auth.close();
process.send?.({ type: 'done' }, () => process.exit(0));
