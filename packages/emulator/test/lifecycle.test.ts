import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { EMULATOR_DEFAULTS, type GoToEmulator, startEmulator } from '../src/index.js';
import {
  basic,
  basicFormEncoded,
  legacyGrant,
  me,
  tokens,
  v2Password,
  v2Refresh,
} from './helpers.js';

const started: GoToEmulator[] = [];

async function start(...args: Parameters<typeof startEmulator>): Promise<GoToEmulator> {
  const emulator = await startEmulator(...args);
  started.push(emulator);
  return emulator;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((emulator) => emulator.close()));
});

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('startEmulator', () => {
  it('listens on a free loopback port; the URL has no trailing slash', async () => {
    const emulator = await start();
    expect(emulator.port).toBeGreaterThan(0);
    expect(emulator.url).toBe(`http://127.0.0.1:${emulator.port}`);
  });

  it('validates its options', async () => {
    await expect(startEmulator({ port: -1 })).rejects.toThrow(/port/);
    await expect(startEmulator({ accessTokenTtlSeconds: 0 })).rejects.toThrow(/accessToken/);
    await expect(startEmulator({ refreshTokenTtlSeconds: 1.5 })).rejects.toThrow(/refreshToken/);
    await expect(startEmulator({ requestLogLimit: -1 })).rejects.toThrow(/requestLogLimit/);
    const user = { userId: 'u', password: 'p' };
    await expect(startEmulator({ users: [user, user] })).rejects.toThrow(/duplicate user/);
    const client = { clientId: 'c' };
    await expect(startEmulator({ clients: [client, client] })).rejects.toThrow(/duplicate client/);
  });

  it('rejects when the port is taken', async () => {
    const emulator = await start();
    await expect(startEmulator({ port: emulator.port })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('close()', () => {
  it('is prompt with an idle keep-alive connection and a pending latency fault', async () => {
    const emulator = await startEmulator();
    // fetch keeps this connection alive in its pool.
    expect((await legacyGrant(emulator)).status).toBe(200);
    emulator.fault({ type: 'latency', ms: 60_000 });
    const pending = legacyGrant(emulator);
    const outcome = pending.then(
      () => 'answered',
      () => 'rejected',
    );
    await until(() => emulator.counters.requests === 2);
    const before = performance.now();
    await emulator.close();
    expect(performance.now() - before).toBeLessThan(500);
    expect(await outcome).toBe('rejected');
    await expect(fetch(emulator.url)).rejects.toThrow();
  });

  it('is prompt while a request body is still being sent', async () => {
    const emulator = await startEmulator();
    const req = request(`${emulator.url}/oauth/access_token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': '1000' },
    });
    req.on('error', () => {});
    req.write('grant_type=password');
    await until(() => emulator.counters.requests === 1);
    const before = performance.now();
    await emulator.close();
    expect(performance.now() - before).toBeLessThan(500);
    req.destroy();
  });

  it('is idempotent', async () => {
    const emulator = await startEmulator();
    await Promise.all([emulator.close(), emulator.close()]);
    await emulator.close();
  });
});

describe('request log', () => {
  it('records who asked what, never a password, client secret or token', async () => {
    const clientSecret = 'top-secret+value:%41';
    const password = 'hunter2-password';
    const lines: string[] = [];
    const emulator = await start({
      clients: [{ clientId: 'app-1', clientSecret }],
      users: [{ userId: 'ann@example.com', password }],
      logger: (line) => lines.push(line),
    });
    const legacy = { user_id: 'ann@example.com', password, client_id: 'app-1' };
    const v2 = { username: 'ann@example.com', password };
    const secrets: string[] = [clientSecret, password, basic('app-1', clientSecret)];

    const first = await tokens(legacyGrant(emulator, legacy));
    const second = await tokens(v2Password(emulator, v2, basic('app-1', clientSecret)));
    const third = await tokens(v2Password(emulator, v2, basicFormEncoded('app-1', clientSecret)));
    const fourth = await tokens(
      v2Refresh(emulator, third.refresh_token, basic('app-1', clientSecret)),
    );
    for (const body of [first, second, third, fourth]) {
      secrets.push(body.access_token, body.refresh_token);
    }
    await me(emulator, fourth.access_token);
    await me(emulator, first.access_token);
    await legacyGrant(emulator, { ...legacy, password: `${password}-wrong` });
    await v2Password(emulator, v2, basic('app-1', `${clientSecret}-wrong`));
    await v2Refresh(emulator, third.refresh_token, basic('app-1', clientSecret));
    const minted = emulator.mintToken();
    secrets.push(minted.accessToken, minted.refreshToken, `${password}-wrong`);

    const log = JSON.stringify(emulator.requests);
    const text = lines.join('\n');
    for (const secret of secrets) {
      expect(log).not.toContain(secret);
      expect(text).not.toContain(secret);
    }
    expect(lines).toHaveLength(9);
    expect(emulator.requests).toHaveLength(9);
    expect(emulator.requests[0]).toEqual({
      at: expect.any(Number),
      method: 'POST',
      path: '/oauth/access_token',
      status: 200,
      grantType: 'password',
      clientId: 'app-1',
      userId: 'ann@example.com',
    });
    expect(emulator.requests[3]).toMatchObject({
      grantType: 'refresh_token',
      userId: 'ann@example.com',
    });
    expect(emulator.requests[5]).toMatchObject({ status: 403, error: 'InvalidToken' });
    expect(emulator.requests[8]).toMatchObject({ status: 400, error: 'invalid_grant' });
    expect(lines[0]).toMatch(/^POST \/oauth\/access_token 200 grantType=password clientId=app-1 /);
  });

  it('keeps the most recent requestLogLimit entries', async () => {
    const emulator = await start({ requestLogLimit: 3 });
    for (let i = 0; i < 5; i++) await fetch(`${emulator.url}/n${i}`);
    expect(emulator.requests.map((entry) => entry.path)).toEqual(['/n2', '/n3', '/n4']);
    expect(emulator.counters.requests).toBe(5);
  });

  it('stamps entries with the emulator clock', async () => {
    const emulator = await start({ now: () => 42 });
    await fetch(`${emulator.url}/x`);
    expect(emulator.requests[0]?.at).toBe(42);
  });
});

describe('clock', () => {
  it('follows the wall clock, shifted by advance() and set()', async () => {
    const emulator = await start();
    expect(Math.abs(emulator.clock.now() - Date.now())).toBeLessThan(50);
    emulator.clock.advance(60_000);
    expect(emulator.clock.now() - Date.now()).toBeGreaterThan(59_000);
    emulator.clock.set(Date.UTC(2040, 0, 1));
    expect(Math.abs(emulator.clock.now() - Date.UTC(2040, 0, 1))).toBeLessThan(50);
    expect(() => emulator.clock.advance(Number.NaN)).toThrow(RangeError);
  });

  it('set() expires tokens issued before the new time', async () => {
    const emulator = await start();
    const body = await tokens(legacyGrant(emulator));
    emulator.clock.set(emulator.clock.now() + 3601 * 1000);
    expect((await me(emulator, body.access_token)).status).toBe(403);
  });

  it('refuses advance() and set() when options.now drives it', async () => {
    let now = 1_000;
    const emulator = await start({ now: () => now });
    expect(emulator.clock.now()).toBe(1_000);
    now = 2_000;
    expect(emulator.clock.now()).toBe(2_000);
    expect(() => emulator.clock.advance(1)).toThrow(/options\.now/);
    expect(() => emulator.clock.set(1)).toThrow(/options\.now/);
  });
});

describe('EMULATOR_DEFAULTS', () => {
  it('holds the default credentials and the documented keys', () => {
    expect(EMULATOR_DEFAULTS).toEqual({
      clientId: 'goto-emulator-client',
      clientSecret: 'goto-emulator-secret',
      userId: 'agent@example.com',
      password: 'emulator-password',
      personalAccessToken: 'goto-emulator-pat',
      organizerKey: '8439885694023999999',
      accountKey: '9999982253621659654',
      firstName: 'Mahar',
      lastName: 'Singh',
    });
  });
});
