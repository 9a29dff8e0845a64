import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createGoToAuth } from '../src/index.js';
import { NO_TIMERS } from './helpers.js';

interface Seen {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: URLSearchParams;
}

const DOCUMENTED = `{  "access_token":"RlUe11faKeyCWxZToK3nk0uTKAL",  "expires_in":"3600",  "refresh_token":"d1cp20yB3hrFAKeTokenTr49EZ34kTvNK",  "organizer_key":"8439885694023999999",  "account_key":"9999982253621659654",  "account_type":"",  "firstName":"Mahar",  "lastName":"Singh",  "email":"",  "platform":"GLOBAL",  "version":"2", }`;

const servers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()?.();
});

/** A server that answers GoTo's documented example text verbatim and records each request. */
async function recorder(): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => {
      raw += chunk.toString();
    });
    req.on('end', () => {
      seen.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: new URLSearchParams(raw),
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(DOCUMENTED);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('the wire format GoTo documents', () => {
  it('sends Direct Login as a form body to /oauth/access_token, never in the URL', async () => {
    const { url, seen } = await recorder();
    const auth = createGoToAuth({
      clientId: 'consumer-key',
      userId: 'user@example.com',
      password: 'p@ss word&=',
      baseUrl: url,
      logger: false,
    });
    const token = await auth.getToken();
    await auth.close();
    expect(token.organizerKey).toBe('8439885694023999999');
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/oauth/access_token');
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request?.headers.accept).toBe('application/json');
    expect(request?.headers.authorization).toBeUndefined();
    expect(Object.fromEntries(request?.body ?? [])).toEqual({
      grant_type: 'password',
      user_id: 'user@example.com',
      password: 'p@ss word&=',
      client_id: 'consumer-key',
    });
  });

  it('sends the v2 password grant with plain Basic base64(id:secret) and username', async () => {
    const { url, seen } = await recorder();
    const auth = createGoToAuth({
      clientId: 'key-with-dash',
      clientSecret: 's3cr-et',
      userId: 'u',
      password: 'p',
      baseUrl: url,
      endpoint: 'v2',
      logger: false,
    });
    await auth.getToken();
    await auth.close();
    expect(seen[0]?.url).toBe('/oauth/token');
    expect(seen[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('key-with-dash:s3cr-et').toString('base64')}`,
    );
    expect(Object.fromEntries(seen[0]?.body ?? [])).toEqual({
      grant_type: 'password',
      username: 'u',
      password: 'p',
    });
  });

  it('refreshes at /oauth/token, GoTo authentication path, with Basic auth and the refresh token in the body', async () => {
    const { url, seen } = await recorder();
    let now = 1_000_000;
    const auth = createGoToAuth({
      clientId: 'key-with-dash',
      clientSecret: 's3cr-et',
      userId: 'u',
      password: 'p',
      baseUrl: url,
      logger: false,
      now: () => now,
      timers: NO_TIMERS,
    });
    await auth.getToken();
    now += 3_600_000;
    await auth.getToken();
    await auth.close();
    expect(seen[1]?.url).toBe('/oauth/token');
    expect(seen[1]?.headers.authorization).toBe(
      `Basic ${Buffer.from('key-with-dash:s3cr-et').toString('base64')}`,
    );
    expect(Object.fromEntries(seen[1]?.body ?? [])).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'd1cp20yB3hrFAKeTokenTr49EZ34kTvNK',
    });
  });
});

describe('runtimes that check `this`', () => {
  it('calls fetch unbound, as workerd requires', async () => {
    const { url } = await recorder();
    // workerd's fetch throws "Illegal invocation" when called as a method of another object.
    const strictFetch = function (this: unknown, input: RequestInfo | URL, init?: RequestInit) {
      if (this !== undefined && this !== globalThis) {
        return Promise.reject(new TypeError('Illegal invocation'));
      }
      return fetch(input, init);
    } as typeof fetch;
    const auth = createGoToAuth({
      clientId: 'consumer-key',
      userId: 'user@example.com',
      password: 'secret',
      baseUrl: url,
      fetch: strictFetch,
      retry: false,
      logger: false,
    });
    const token = await auth.getToken();
    await auth.close();
    expect(token.organizerKey).toBe('8439885694023999999');
  });
});
