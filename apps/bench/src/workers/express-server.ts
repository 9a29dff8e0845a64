/**
 * An Express 5 app with one route behind `goToAuth(auth)` (cached token), in its own process so
 * it can run under `node --cpu-prof`. Tells the parent its URL; exits (writing the profile) when
 * told to.
 */
import type { AddressInfo } from 'node:net';
import { createGoToAuth } from '@goto-auth/core';
import { goToAuth } from '@goto-auth/express';
import express from 'express';
import { CREDENTIALS, fakeGoToFetch } from '../lib/goto.ts';

const auth = createGoToAuth({ ...CREDENTIALS, fetch: fakeGoToFetch(3600), logger: false });
await auth.getToken();
const app = express();
app.disable('x-powered-by');
app.get('/goto/me', goToAuth(auth), (req, res) => {
  res.json({ ok: true, authorized: req.goto !== undefined });
});
const server = app.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${port}/goto/me` });
});
process.on('message', (message: { type: string }) => {
  if (message.type === 'exit') {
    server.closeAllConnections();
    server.close();
    process.exit(0);
  }
});
