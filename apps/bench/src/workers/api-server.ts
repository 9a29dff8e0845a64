/**
 * A GoTo-shaped API on node:http, in its own process so it does not share the client's core:
 * `POST /oauth/access_token` answers a documented token response, `GET /admin/rest/v1/me` a
 * small JSON body (401 without a bearer token). Tells the parent its URL.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { goToTokenBody, ME_PATH } from '../lib/goto.ts';

const me = JSON.stringify({
  userKey: '8439885694023999999',
  accountKey: '9999982253621659654',
  email: 'agent@example.com',
  firstName: 'Mahar',
  lastName: 'Singh',
  locale: 'en_US',
  timeZone: 'America/Los_Angeles',
});

const server = createServer((req, res) => {
  if (req.url?.startsWith('/oauth/')) {
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify(goToTokenBody(3600));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
    return;
  }
  if (req.url === ME_PATH && /^Bearer \S+$/.test(req.headers.authorization ?? '')) {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': me.length });
    res.end(me);
    return;
  }
  res.writeHead(401, { 'content-type': 'application/json' });
  res.end('{"int_err_code":"InvalidToken","msg":"Invalid token passed"}');
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${port}` });
});
process.on('message', (message: { type: string }) => {
  if (message.type === 'exit') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
