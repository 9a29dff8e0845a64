import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import { describe, expect, it } from 'vitest';
import { emulator, onCleanup, redisServer } from './support/setup.ts';

const fixture = fileURLToPath(new URL('./fixtures/readme-example.ts', import.meta.url));
const readme = fileURLToPath(new URL('../README.md', import.meta.url));

function runExample(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@goto-auth/source', '--import', 'tsx', fixture],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } },
    );
    onCleanup(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out: out.trim() }));
  });
}

describe('README', () => {
  it('shows the setup example exactly as the test runs it', async () => {
    const text = await readFile(readme, 'utf8');
    const source = await readFile(fixture, 'utf8');
    const region = /\/\/ #region readme\n([\s\S]*?)\/\/ #endregion readme/.exec(source)?.[1];
    const setup = /## Setup[\s\S]*?```ts\n([\s\S]*?)```/.exec(text)?.[1];
    expect(region).toBeDefined();
    expect(setup).toBe(region);
  });

  it('its setup, run by three processes at once, makes one grant and shares one token', async () => {
    const server = await redisServer();
    const emu = await emulator();
    const env = {
      REDIS_URL: server.url,
      GOTO_CLIENT_ID: EMULATOR_DEFAULTS.clientId,
      GOTO_CLIENT_SECRET: EMULATOR_DEFAULTS.clientSecret,
      GOTO_USER_ID: EMULATOR_DEFAULTS.userId,
      GOTO_PASSWORD: EMULATOR_DEFAULTS.password,
      GOTO_BASE_URL: emu.url,
    };
    const runs = await Promise.all([runExample(env), runExample(env), runExample(env)]);
    for (const run of runs) {
      expect(run.code).toBe(0);
      expect(run.out).toMatch(/^[0-9a-f]{12}$/);
      expect(run.out).toBe(runs[0]?.out);
    }
    expect(emu.counters.passwordGrants).toBe(1);
  }, 60_000);
});
