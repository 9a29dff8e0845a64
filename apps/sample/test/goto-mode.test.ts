import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { type GoToEmulator, startEmulator } from '@goto-auth/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APP_DIR,
  BUILT_MAIN,
  cleanEnv,
  freePort,
  getJson,
  kill,
  listeningUrl,
  type Started,
  start,
  stop,
} from './helpers.ts';

const CLIENT = { clientId: 'sample-test-client', clientSecret: 'client-Secret-Value-9' };
const USER = {
  userId: 'ops@example.com',
  password: 'user-Password-Value-3',
  organizerKey: '1234567890123456789',
  accountKey: '9876543210987654321',
  accountType: 'corporate' as const,
};

/**
 * "Real GoTo" played by an emulator behind a recording proxy: the proxy keeps every access and
 * refresh token GoTo hands out, so the test can prove none of them ever leaves the app.
 */
async function recordingProxy(target: string) {
  const tokens: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [key, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && key !== 'host' && key !== 'connection')
        headers.set(key, value);
    }
    const upstream = await fetch(target + (req.url ?? '/'), {
      method: req.method,
      headers,
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    });
    const text = await upstream.text();
    if (req.url?.startsWith('/oauth/') && upstream.ok) {
      const body = JSON.parse(text) as { access_token: string; refresh_token: string };
      tokens.push(body.access_token, body.refresh_token);
    }
    res.writeHead(upstream.status, {
      'content-type': upstream.headers.get('content-type') ?? 'text/plain',
    });
    res.end(text);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    tokens,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

function goToEnv(baseUrl: string): Record<string, string> {
  return {
    PORT: '0',
    GOTO_CLIENT_ID: CLIENT.clientId,
    GOTO_CLIENT_SECRET: CLIENT.clientSecret,
    GOTO_USER_ID: USER.userId,
    GOTO_PASSWORD: USER.password,
    GOTO_BASE_URL: baseUrl,
  };
}

describe('GOTO_* variables set: the app uses that GoTo, with no demo controls', () => {
  let emulator: GoToEmulator;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let app: Started | undefined;
  let url: string;
  const bodies: string[] = [];

  const get = async (path: string, init?: RequestInit) => {
    const answer = await getJson(url + path, init);
    bodies.push(answer.text);
    return answer;
  };

  beforeAll(async () => {
    emulator = await startEmulator({
      clients: [CLIENT],
      users: [USER],
      accessTokenTtlSeconds: 600,
    });
    proxy = await recordingProxy(emulator.url);
    app = start(process.execPath, [BUILT_MAIN], {
      cwd: APP_DIR,
      env: cleanEnv(goToEnv(proxy.url)),
    });
    url = await listeningUrl(app);
  });

  afterAll(async () => {
    kill(app);
    await proxy?.close().catch(() => {});
    await emulator?.close();
  });

  it('gets its token with the configured credentials and does not start an emulator', async () => {
    expect(emulator.counters.legacyPasswordGrants).toBe(1);
    expect(app?.output()).not.toContain('embedded GoTo emulator');
    const me = await get('/api/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ organizerKey: USER.organizerKey, email: USER.userId });
    const token = await get('/api/token');
    expect(token.body).toMatchObject({
      organizerKey: USER.organizerKey,
      accountKey: USER.accountKey,
      accountType: 'corporate',
    });
    expect((await get('/health')).body).toMatchObject({ status: 'ok', mode: 'goto' });
    expect((await get('/')).status).toBe(200);
  });

  it('has no demo routes (404)', async () => {
    expect((await get('/demo/expire', { method: 'POST' })).status).toBe(404);
    expect((await get('/demo/revoke', { method: 'POST' })).status).toBe(404);
    expect((await get('/demo/stats')).status).toBe(404);
  });

  it('recovers from a rejected token with a refresh grant (the client secret at work)', async () => {
    emulator.expireAccessTokens();
    expect((await get('/api/me')).status).toBe(200);
    expect(emulator.counters.refreshGrants).toBe(1);
    expect(emulator.counters.passwordGrants).toBe(1);
  });

  it('never lets a token, the password or the client secret out (answers and logs)', async () => {
    await get('/api/events');
    expect(proxy.tokens.length).toBeGreaterThanOrEqual(4);
    const everything = [...bodies, app?.output() ?? ''].join('\n');
    for (const secret of [...proxy.tokens, USER.password, CLIENT.clientSecret]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('answers 503 problem+json when GoTo is unreachable', async () => {
    await proxy.close();
    const me = await get('/api/me');
    expect(me.status).toBe(503);
    expect(me.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(me.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(me.body).toMatchObject({ status: 503, code: 'GOTO_UNREACHABLE' });
    // The token is still valid: the service itself is fine.
    expect((await get('/health')).body).toMatchObject({ status: 'ok' });
  });

  it('exits with 0 within 2 s of SIGTERM', async () => {
    if (app === undefined) throw new Error('not started');
    const { code, signal, ms } = await stop(app);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(ms).toBeLessThan(2_000);
  });
});

describe('GoTo unreachable from the start', () => {
  let app: Started | undefined;
  afterAll(() => kill(app));

  it('starts anyway, reports down, and answers 503 problem+json', async () => {
    const closedPort = await freePort();
    app = start(process.execPath, [BUILT_MAIN], {
      cwd: APP_DIR,
      env: cleanEnv(goToEnv(`http://127.0.0.1:${closedPort}`)),
    });
    const url = await listeningUrl(app);
    expect(app.output()).toMatch(/Warm-up failed with NETWORK_ERROR/);

    const health = await getJson(`${url}/health`);
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'down', lastError: { code: 'NETWORK_ERROR' } });

    for (const path of ['/api/token', '/api/me']) {
      const answer = await getJson(url + path);
      expect(answer.status, path).toBe(503);
      expect(answer.headers.get('content-type'), path).toMatch(/^application\/problem\+json/);
      expect(answer.body, path).toMatchObject({ status: 503, code: 'NETWORK_ERROR' });
    }

    const { code, ms } = await stop(app, 'SIGINT');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(2_000);
    expect(app.output()).not.toContain(USER.password);
    expect(app.output()).not.toContain(CLIENT.clientSecret);
  });
});

describe('/health follows the token: ok, degraded, down', () => {
  let emulator: GoToEmulator | undefined;
  let app: Started | undefined;
  afterAll(async () => {
    kill(app);
    await emulator?.close();
  });

  it('is degraded (200) while a failing refresh still has a valid token, then down (503)', async () => {
    // 4 s tokens: the refresh is due after 3 s (a quarter of the lifetime before expiry).
    emulator = await startEmulator({ clients: [CLIENT], users: [USER], accessTokenTtlSeconds: 4 });
    app = start(process.execPath, [BUILT_MAIN], {
      cwd: APP_DIR,
      env: cleanEnv(goToEnv(emulator.url)),
    });
    const url = await listeningUrl(app);
    expect((await getJson(`${url}/health`)).body).toMatchObject({ status: 'ok' });
    // From now on GoTo's token endpoint fails: the scheduled refresh cannot succeed.
    emulator.fault({ type: 'status', status: 503 }, { rate: 1 });

    const seen = new Map<string, { status: number; body: Record<string, unknown> }>();
    const deadline = Date.now() + 8_000;
    while (!seen.has('down') && Date.now() < deadline) {
      const { status, body } = await getJson(`${url}/health`);
      seen.set(body.status as string, { status, body });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(seen.get('degraded')?.status).toBe(200);
    expect(seen.get('down')?.status).toBe(503);
    // Expired while the refresh still retries, or after it gave up.
    expect(seen.get('down')?.body).toMatchObject({
      state: expect.stringMatching(/^(refreshing|expired)$/),
      secondsLeft: 0,
    });
    expect(emulator.counters.faults).toBeGreaterThan(0);

    const { code } = await stop(app);
    expect(code).toBe(0);
  });
});
