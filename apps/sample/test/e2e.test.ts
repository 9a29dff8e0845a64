import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanEnv,
  freePort,
  getJson,
  isAlive,
  kill,
  listeningUrl,
  nestPid,
  REPO_ROOT,
  type Started,
  start,
  stop,
} from './helpers.ts';

const TOKEN_FIELDS = [
  'accountKey',
  'accountType',
  'expiresAt',
  'issuedAt',
  'lastRefreshAt',
  'now',
  'organizerKey',
  'refreshAt',
  'refreshTokenExpiresAt',
  'secondsLeft',
  'state',
];

interface Stats {
  grants: number;
  counters: { meRejected: number; externalGrants: number; refreshGrants: number };
}

// `pnpm start` from the repository root, exactly as the README says, with no GOTO_* variable:
// the embedded emulator.
describe('pnpm start (embedded emulator)', () => {
  let app: Started | undefined;
  let url: string;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    app = start('pnpm', ['start'], { cwd: REPO_ROOT, env: cleanEnv({ PORT: String(port) }) });
    url = await listeningUrl(app);
  });

  afterAll(() => kill(app));

  it('listens on PORT and says, once, that it uses the embedded emulator', () => {
    expect(url).toBe(`http://127.0.0.1:${port}`);
    const lines = app
      ?.output()
      .match(
        /No GOTO_\* credentials set: using the embedded GoTo emulator at http:\/\/127\.0\.0\.1:\d+ \(tokens live 120 s\)/g,
      );
    expect(lines).toHaveLength(1);
  });

  it('serves the page at /', async () => {
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/app.js">');
    expect((await fetch(`${url}/app.js`)).status).toBe(200);
  });

  it('GET /api/me answers GoTo\'s "who am I" through ky', async () => {
    const { status, body } = await getJson(`${url}/api/me`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ organizerKey: '8439885694023999999', email: 'agent@example.com' });
  });

  it("GET /api/token answers the token's facts, never the token", async () => {
    const { status, headers, body, text } = await getJson(`${url}/api/token`);
    expect(status).toBe(200);
    expect(headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(body).sort()).toEqual(TOKEN_FIELDS);
    expect(text).not.toMatch(/access_?token|"refresh_?token"|bearer/i);
    expect(body).toMatchObject({ organizerKey: '8439885694023999999', state: 'valid' });
    expect(body.secondsLeft).toBeGreaterThan(100);
    expect(body.secondsLeft).toBeLessThanOrEqual(120);
    expect(Date.parse(body.expiresAt as string)).toBeGreaterThan(Date.now());
  });

  it('exports goto_auth metrics for Prometheus on METRICS_PORT, and to the page at /api/metrics', async () => {
    const match = /Metrics for Prometheus on (http:\/\/\S+\/metrics)/.exec(app?.output() ?? '');
    expect(match?.[1]).toBeDefined();
    for (const endpoint of [match?.[1] as string, `${url}/api/metrics`]) {
      const response = await fetch(endpoint);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toMatch(
        /^goto_auth_tokens_total\{[^}]*goto_auth_token_source="password"[^}]*\} 1$/m,
      );
      expect(text).toMatch(
        /^goto_auth_grants_total\{[^}]*goto_auth_grant_type="password"[^}]*goto_auth_outcome="success"[^}]*\} 1$/m,
      );
      const left = Number(/^goto_auth_token_time_left(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1]);
      expect(left).toBeGreaterThan(100);
      expect(left).toBeLessThanOrEqual(120);
      expect(text).not.toMatch(/agent@example\.com|goto-emulator-client/);
    }
  });

  it('GET /health is ok with a valid token', async () => {
    const { status, body } = await getJson(`${url}/health`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', mode: 'emulator', state: 'valid', lastError: null });
  });

  it('recovers from an access token expired in the emulator with exactly one new grant', async () => {
    const before = (await getJson(`${url}/demo/stats`)).body as unknown as Stats;
    expect(before.grants).toBe(1);

    const expire = await getJson(`${url}/demo/expire`, { method: 'POST' });
    expect(expire.status).toBe(200);

    const me = await getJson(`${url}/api/me`);
    expect(me.status).toBe(200);
    const after = (await getJson(`${url}/demo/stats`)).body as unknown as Stats;
    expect(after.grants).toBe(before.grants + 1);
    expect(after.counters.refreshGrants).toBe(before.counters.refreshGrants + 1);
    expect(after.counters.meRejected).toBe(before.counters.meRejected + 1);
  });

  it('recovers from a token revoked by another client with exactly one new grant', async () => {
    const before = (await getJson(`${url}/demo/stats`)).body as unknown as Stats;
    expect((await getJson(`${url}/demo/revoke`, { method: 'POST' })).status).toBe(200);
    expect((await getJson(`${url}/api/me`)).status).toBe(200);
    const after = (await getJson(`${url}/demo/stats`)).body as unknown as Stats;
    expect(after.counters.externalGrants).toBe(before.counters.externalGrants + 1);
    expect(after.grants).toBe(before.grants + 1);
    expect(after.counters.meRejected).toBe(before.counters.meRejected + 1);
  });

  it('lists the token events, the rejection among them', async () => {
    const { body } = await getJson(`${url}/api/events`);
    const events = body.events as { type: string; reason?: string }[];
    expect(events.map((event) => event.type)).toContain('invalidated');
    expect(events.filter((event) => event.type === 'token').map((event) => event.reason)).toEqual([
      'rejected',
      'rejected',
      'initial',
    ]);
  });

  it('GET /api/me-http answers through the HttpService, and recovers from a revocation with one grant', async () => {
    const me = await getJson(`${url}/api/me-http`);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ organizerKey: '8439885694023999999' });

    const before = (await getJson(`${url}/demo/stats`)).body as unknown as Stats;
    expect((await getJson(`${url}/demo/revoke`, { method: 'POST' })).status).toBe(200);
    expect((await getJson(`${url}/api/me-http`)).status).toBe(200);
    const after = (await getJson(`${url}/demo/stats`)).body as unknown as Stats;
    expect(after.grants).toBe(before.grants + 1);
    expect(after.counters.meRejected).toBe(before.counters.meRejected + 1);
  });

  it('exits with 0 within 2 s of SIGTERM sent to `pnpm start`, taking the app with it', async () => {
    if (app === undefined) throw new Error('not started');
    const pid = nestPid(app.output());
    expect(pid).not.toBe(app.child.pid);
    // A keep-alive connection, like the page's polling, must not hold the shutdown open.
    await fetch(`${url}/health`).then((response) => response.text());

    const { code, signal, ms } = await stop(app, 'SIGTERM');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(ms).toBeLessThan(2_000);
    expect(isAlive(pid)).toBe(false);
    expect(app.output()).toContain('SIGTERM received: shutting down');
  });
});
