/**
 * The real `goto-auth` binary from a packed tarball, against the emulator over HTTP and a real
 * redis-server of its own.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGoToAuth, type GoToAuth } from '@goto-auth/core';
import { EMULATOR_DEFAULTS, type GoToEmulator } from '@goto-auth/emulator';
import { RedisTokenStore } from '@goto-auth/redis';
import { emulator, onCleanup } from '@goto-auth/test-support';
import { freePort } from '@goto-auth/test-support/net';
import { type RedisServer, startRedis } from '@goto-auth/test-support/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const bin = inject('gotoAuthBin');
const TOKEN_KEY = Buffer.alloc(32, 7).toString('base64');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A directory without a .env, so nothing from the workspace leaks into a run. */
function cleanDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'goto-auth-cwd-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs the binary with only `env` (plus PATH), standard input a pipe: not a terminal. */
function goto(
  args: string[],
  env: Record<string, string> = {},
  cwd: string = cleanDir(),
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end();
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function gotoEnv(emu: GoToEmulator, extra: Record<string, string> = {}): Record<string, string> {
  return {
    GOTO_CLIENT_ID: EMULATOR_DEFAULTS.clientId,
    GOTO_CLIENT_SECRET: EMULATOR_DEFAULTS.clientSecret,
    GOTO_USER_ID: EMULATOR_DEFAULTS.userId,
    GOTO_PASSWORD: EMULATOR_DEFAULTS.password,
    GOTO_BASE_URL: emu.url,
    ...extra,
  };
}

function expectNoSecret(result: Result, token?: string): void {
  const text = result.stdout + result.stderr;
  expect(text).not.toContain(EMULATOR_DEFAULTS.password);
  expect(text).not.toContain(EMULATOR_DEFAULTS.clientSecret);
  if (token !== undefined) expect(result.stderr).not.toContain(token);
}

describe('help and configuration', () => {
  it.each([
    [['--help'], 'Commands:'],
    [['token', '--help'], 'Usage: goto-auth token'],
    [['status', '--help'], 'Usage: goto-auth status'],
    [['emulator', '--help'], 'Usage: goto-emulator'],
  ])('%j prints its usage and exits 0', async (args, heading) => {
    const result = await goto(args);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(heading);
  });

  it('exits 2 on an unknown command or flag', async () => {
    expect((await goto(['mint'])).code).toBe(2);
    const result = await goto(['status', '--force']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no --force option');
  });

  it('exits 3 naming the missing variables, never a value', async () => {
    const result = await goto(['token', '--force'], { GOTO_PASSWORD: 'hunter2-secret' });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('GOTO_CLIENT_ID, GOTO_USER_ID');
    expect(result.stderr).not.toContain('hunter2-secret');
    expect(result.stdout).toBe('');
  });

  it('exits 4 on an unusable setting', async () => {
    const emu = await emulator();
    const badUrl = await goto(
      ['token', '--force'],
      gotoEnv(emu, { GOTO_BASE_URL: 'http://example.com' }),
    );
    expect(badUrl.code).toBe(4);
    expect(badUrl.stderr).toContain('GOTO_BASE_URL');
    const badRedis = await goto(['token'], gotoEnv(emu, { REDIS_URL: 'http://127.0.0.1:1' }));
    expect(badRedis.code).toBe(4);
    expect(badRedis.stderr).toContain('REDIS_URL');
    const missingFile = await goto(['status', '--dotenv', 'nope.env']);
    expect(missingFile.code).toBe(4);
    expect(emu.counters.passwordGrants).toBe(0);
  });

  it('reads settings from ./.env, the environment winning', async () => {
    const emu = await emulator();
    const dir = cleanDir();
    const env = gotoEnv(emu);
    writeFileSync(
      join(dir, '.env'),
      `${Object.entries(env)
        .map(([name, value]) => `${name}=${value}`)
        .join('\n')}\nGOTO_USER_ID=someone-else\n`,
    );
    const result = await goto(
      ['token', '--force'],
      { GOTO_USER_ID: EMULATOR_DEFAULTS.userId },
      dir,
    );
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\S+$/);
    expect(emu.counters.passwordGrants).toBe(1);
  });
});

describe('token without a store', () => {
  it('refuses to mint off a terminal without --force, and says why', async () => {
    const emu = await emulator();
    const result = await goto(['token'], gotoEnv(emu));
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('revokes every other token');
    expect(result.stderr).toContain('--force');
    expect(result.stdout).toBe('');
    expect(emu.counters.passwordGrants).toBe(0);
  });

  it('with --force prints a token GoTo accepts, and only it, on stdout', async () => {
    const emu = await emulator();
    const result = await goto(['token', '--force'], gotoEnv(emu));
    expect(result.code).toBe(0);
    const token = result.stdout.trim();
    expect(result.stdout).toBe(`${token}\n`);
    expect(result.stderr).toContain('revokes every other token');
    const me = await fetch(`${emu.url}/admin/rest/v1/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(me.status).toBe(200);
    expect(emu.counters.passwordGrants).toBe(1);
    expectNoSecret(result, token);
  });

  it('exits 1 with the error code when GoTo rejects the credentials', async () => {
    const emu = await emulator();
    const result = await goto(
      ['token', '--force'],
      gotoEnv(emu, { GOTO_PASSWORD: 'wrong-password' }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('INVALID_CREDENTIALS');
    expect(result.stderr).not.toContain('wrong-password');
    expect(result.stdout).toBe('');
  });

  it('status says a fresh process has nothing cached', async () => {
    const result = await goto(['status', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ store: null, state: 'empty' });
    expect((await goto(['status'])).stdout).toContain('nothing to show');
  });
});

describe('with a Redis store', () => {
  let redis: RedisServer;
  let client: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
  });
  afterAll(async () => {
    await client?.quit();
    await redis?.close();
  });

  /** An application instance sharing the store, as production would. */
  function production(emu: GoToEmulator, keyPrefix: string): GoToAuth {
    const app = createGoToAuth({
      clientId: EMULATOR_DEFAULTS.clientId,
      clientSecret: EMULATOR_DEFAULTS.clientSecret,
      userId: EMULATOR_DEFAULTS.userId,
      password: EMULATOR_DEFAULTS.password,
      baseUrl: emu.url,
      store: new RedisTokenStore({ client, keyPrefix, encryptionKey: TOKEN_KEY }),
      logger: false,
    });
    onCleanup(() => app.close());
    return app;
  }

  function storeEnv(emu: GoToEmulator, keyPrefix: string): Record<string, string> {
    return gotoEnv(emu, {
      REDIS_URL: redis.url,
      GOTO_KEY_PREFIX: keyPrefix,
      GOTO_TOKEN_KEY: TOKEN_KEY,
    });
  }

  it("prints production's stored token and mints nothing: production's token keeps working", async () => {
    const emu = await emulator();
    const prefix = `cli-${crypto.randomUUID()}:`;
    const app = production(emu, prefix);
    const stored = await app.getToken();
    emu.reset();

    const result = await goto(['token'], storeEnv(emu, prefix));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${stored.accessToken}\n`);
    expect(result.stderr).not.toContain('revokes');
    expect(emu.counters.passwordGrants + emu.counters.refreshGrants).toBe(0);
    const me = await fetch(`${emu.url}/admin/rest/v1/me`, {
      headers: { authorization: `Bearer ${stored.accessToken}` },
    });
    expect(me.status).toBe(200);
    expectNoSecret(result, stored.accessToken);
  });

  it('mints once into an empty store, where production then finds the token', async () => {
    const emu = await emulator();
    const prefix = `cli-${crypto.randomUUID()}:`;
    const result = await goto(['token'], storeEnv(emu, prefix));
    expect(result.code).toBe(0);
    expect(emu.counters.passwordGrants).toBe(1);
    const app = production(emu, prefix);
    expect((await app.getToken()).accessToken).toBe(result.stdout.trim());
    expect(emu.counters.passwordGrants).toBe(1);
  });

  it('status reports the stored token without a secret, and never mints', async () => {
    const emu = await emulator();
    const prefix = `cli-${crypto.randomUUID()}:`;
    const empty = await goto(['status', '--json'], storeEnv(emu, prefix));
    expect(empty.code).toBe(0);
    expect(JSON.parse(empty.stdout)).toMatchObject({ state: 'empty', expiresAt: null });
    expect(emu.counters.passwordGrants).toBe(0);

    const stored = await production(emu, prefix).getToken();
    const result = await goto(['status', '--json'], storeEnv(emu, prefix));
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toEqual({
      store: { type: 'redis', url: `${redis.url}`, keyPrefix: prefix },
      state: 'valid',
      expiresAt: stored.expiresAt,
      lastRefreshAt: stored.issuedAt,
      refreshToken: { expiresAt: stored.refreshTokenExpiresAt },
      lastError: null,
    });
    const human = await goto(['status'], storeEnv(emu, prefix));
    expect(human.stdout).toMatch(/state:\s+valid/);
    expect(human.stdout).toContain(new Date(stored.expiresAt).toISOString());
    for (const text of [result.stdout, human.stdout]) {
      expect(text).not.toContain(stored.accessToken);
      expect(text).not.toContain(stored.refreshToken);
      expect(text).not.toContain(TOKEN_KEY);
    }
    expect(emu.counters.passwordGrants).toBe(1);
  });

  it('a wrong GOTO_TOKEN_KEY fails with exit 6 and mints nothing', async () => {
    const emu = await emulator();
    const prefix = `cli-${crypto.randomUUID()}:`;
    await production(emu, prefix).getToken();
    emu.reset();
    const other = Buffer.alloc(32, 9).toString('base64');
    const result = await goto(['token'], storeEnv(emu, prefix));
    expect(result.code).toBe(0);
    const wrong = await goto(['token'], { ...storeEnv(emu, prefix), GOTO_TOKEN_KEY: other });
    expect(wrong.code).toBe(6);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr).toContain('Nothing was minted');
    expect(wrong.stderr).not.toContain(other);
    expect(emu.counters.passwordGrants).toBe(0);
  });

  it('an unreachable Redis fails with exit 6, and nothing is minted', async () => {
    const emu = await emulator();
    const env = gotoEnv(emu, {
      REDIS_URL: `redis://:redis-secret@127.0.0.1:${await freePort()}`,
    });
    const token = await goto(['token'], env);
    expect(token.code).toBe(6);
    expect(token.stderr).toContain('Nothing was minted');
    expect(token.stderr).not.toContain('redis-secret');
    const status = await goto(['status', '--json'], env);
    expect(status.code).toBe(6);
    const report = JSON.parse(status.stdout);
    expect(report.state).toBe('unknown');
    expect(report.lastError.code).toBe('STORE_ERROR');
    expect(status.stdout).not.toContain('redis-secret');
    expect(emu.counters.passwordGrants).toBe(0);
  });
});

describe('emulator', () => {
  it('runs the emulator until SIGTERM', async () => {
    const child = spawn(bin, ['emulator', '--port', '0'], {
      cwd: cleanDir(),
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onCleanup(() => child.kill('SIGKILL'));
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${output}`)));
    });
    const response = await fetch(`${url}/oauth/access_token`, {
      method: 'POST',
      headers: { accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'password',
        user_id: EMULATOR_DEFAULTS.userId,
        password: EMULATOR_DEFAULTS.password,
        client_id: EMULATOR_DEFAULTS.clientId,
      }),
    });
    expect(response.status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
