import { afterEach, describe, expect, it } from 'vitest';
import { type CliRun, main } from '../src/cli.js';
import { startEmulator } from '../src/index.js';
import {
  authorize,
  basic,
  legacyGrant,
  me,
  oauthToken,
  REDIRECT_URI,
  tokens,
  v2Password,
} from './helpers.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { log: (line: string) => out.push(line), error: (line: string) => err.push(line) },
  };
}

const runs: CliRun[] = [];

async function run(argv: string[], env: Record<string, string> = {}) {
  const lines = capture();
  const result = await main(argv, env, lines.io);
  runs.push(result);
  return { ...lines, result };
}

afterEach(async () => {
  await Promise.all(runs.splice(0).map((result) => result.stop()));
});

describe('goto-emulator main()', () => {
  it('starts with the defaults and logs one line without secrets', async () => {
    const { out, err, result } = await run(['--port', '0']);
    expect(result.exitCode).toBe(0);
    const emulator = result.emulator;
    if (!emulator) throw new Error('no emulator');
    const identity = '(client_id goto-emulator-client, user agent@example.com)';
    expect(out).toEqual([`goto-emulator listening on ${emulator.url} ${identity}`]);
    expect(err).toEqual([]);
    expect((await legacyGrant(emulator)).status).toBe(200);
    await result.stop();
    await result.done;
    await expect(fetch(emulator.url)).rejects.toThrow();
  });

  it('reads GOTO_EMULATOR_* variables, with flags taking precedence', async () => {
    const env = {
      GOTO_EMULATOR_PORT: '0',
      GOTO_EMULATOR_CLIENT_ID: 'env-client',
      GOTO_EMULATOR_CLIENT_SECRET: 'env-secret',
      GOTO_EMULATOR_USER_ID: 'env-user',
      GOTO_EMULATOR_PASSWORD: 'env-password',
      GOTO_EMULATOR_ACCESS_TOKEN_TTL: '60',
      GOTO_EMULATOR_NO_REVOKE: '1',
    };
    const { out, result } = await run(['--user-id', 'flag-user'], env);
    const emulator = result.emulator;
    if (!emulator) throw new Error('no emulator');
    expect(out[0]).toMatch(/\(client_id env-client, user flag-user\)$/);
    expect(out.join('\n')).not.toMatch(/env-secret|env-password/);
    const auth = basic('env-client', 'env-secret');
    const creds = { username: 'flag-user', password: 'env-password' };
    const first = await tokens(v2Password(emulator, creds, auth));
    expect(first.expires_in).toBe('60');
    await tokens(v2Password(emulator, creds, auth));
    // --no-revoke (from the environment): the first token is still good.
    expect((await me(emulator, first.access_token)).status).toBe(200);
  });

  it('revokes by default, and logs requests with --verbose', async () => {
    const { out, result } = await run(['--port', '0', '--verbose']);
    const emulator = result.emulator;
    if (!emulator) throw new Error('no emulator');
    const first = await tokens(legacyGrant(emulator));
    await tokens(legacyGrant(emulator));
    expect((await me(emulator, first.access_token)).status).toBe(403);
    expect(out.slice(1)).toEqual([
      expect.stringMatching(/^POST \/oauth\/access_token 200 /),
      expect.stringMatching(/^POST \/oauth\/access_token 200 /),
      expect.stringMatching(/^GET \/admin\/rest\/v1\/me 403 /),
    ]);
  });

  it('serves the authentication host with --pat, --redirect-uri, --rotate-refresh-tokens', async () => {
    const env = { GOTO_EMULATOR_PAT: 'env-pat', GOTO_EMULATOR_ROTATE_REFRESH_TOKENS: 'yes' };
    const argv = [
      '--port',
      '0',
      '--redirect-uri',
      'https://app.example/cb',
      '--authentication-host',
    ];
    const { out, result } = await run(argv, env);
    const emulator = result.emulator;
    if (!emulator) throw new Error('no emulator');
    expect(out[0]).toBe(
      `goto-emulator listening on ${emulator.url}, authentication host ${emulator.authUrl} ` +
        '(client_id goto-emulator-client, user agent@example.com)',
    );
    expect(out[0]).not.toContain('env-pat');
    const pat = await oauthToken(emulator, { grant_type: 'personal_access_token', pat: 'env-pat' });
    const body = (await pat.json()) as { refresh_token: string };
    const refresh = { grant_type: 'refresh_token', refresh_token: body.refresh_token };
    expect(await (await oauthToken(emulator, refresh)).json()).toHaveProperty('refresh_token');
    expect((await oauthToken(emulator, refresh)).status).toBe(400);
    const request = { client_id: 'goto-emulator-client', response_type: 'code', auto: 'approve' };
    const registered = await authorize(emulator, request);
    expect(registered.headers.get('location')).toMatch(/^https:\/\/app\.example\/cb\?code=/);
    expect((await authorize(emulator, { ...request, redirect_uri: REDIRECT_URI })).status).toBe(
      400,
    );
  });

  it('limits requests with --rate-limit', async () => {
    const { result } = await run(['--port', '0', '--rate-limit']);
    const emulator = result.emulator;
    if (!emulator) throw new Error('no emulator');
    // Twenty requests at once: they cannot all fall in different seconds.
    const statuses = await Promise.all(
      Array.from({ length: 20 }, async () => (await legacyGrant(emulator)).status),
    );
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(1);
  });

  it('stops on SIGTERM and SIGINT, and removes its handlers', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const before = process.listeners(signal);
      const { out, result } = await run(['--port', '0']);
      const added = process.listeners(signal).filter((listener) => !before.includes(listener));
      expect(added).toHaveLength(1);
      // Call the handler rather than emit the signal, which the test runner listens to as well.
      added[0]?.(signal);
      await result.done;
      expect(out.at(-1)).toBe(`goto-emulator: ${signal} received, shutting down`);
      expect(process.listeners(signal)).toEqual(before);
      await expect(fetch(result.emulator?.url ?? '')).rejects.toThrow();
    }
  });

  it('prints usage for --help', async () => {
    const { out, result } = await run(['--help']);
    expect(result.exitCode).toBe(0);
    expect(result.emulator).toBeUndefined();
    expect(out[0]).toMatch(/^Usage: goto-emulator/);
    expect(out[0]).toContain('GOTO_EMULATOR_CLIENT_SECRET');
    await result.done;
  });

  it.each([
    [['--bogus']],
    [['--port', 'abc']],
    [['--port', '70000']],
    [['--access-token-ttl', '0']],
    [['extra']],
  ])('exits 2 on a usage error: %j', async (argv) => {
    const { err, result } = await run(argv);
    expect(result.exitCode).toBe(2);
    expect(result.emulator).toBeUndefined();
    expect(err.at(-1)).toMatch(/--help/);
  });

  it('exits 2 on a bad boolean variable', async () => {
    const { err, result } = await run(['--port', '0'], { GOTO_EMULATOR_NO_REVOKE: 'maybe' });
    expect(result.exitCode).toBe(2);
    expect(err[0]).toMatch(/GOTO_EMULATOR_NO_REVOKE/);
  });

  it('exits 1 when the port is taken', async () => {
    const other = await startEmulator();
    try {
      const { err, result } = await run(['--port', String(other.port)]);
      expect(result.exitCode).toBe(1);
      expect(err[0]).toMatch(/cannot start: .*EADDRINUSE/);
    } finally {
      await other.close();
    }
  });
});
