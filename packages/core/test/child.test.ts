import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { emulator } from './helpers.js';

const fixture = fileURLToPath(new URL('./fixtures/get-token.ts', import.meta.url));

function run(url: string, mode: string): Promise<{ code: number | null; out: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@goto-auth/source', '--import', 'tsx', fixture, url, mode],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, out, ms: Date.now() - started });
    });
  });
}

describe('process lifetime', () => {
  it('a process that gets a token and does nothing else exits by itself', async () => {
    const emu = await emulator();
    const result = await run(emu.url, 'idle');
    expect(result.out).toContain('got token');
    expect(result.code).toBe(0);
  });

  it('a wait for the grant floor keeps the process alive until the token arrives', async () => {
    const emu = await emulator();
    const result = await run(emu.url, 'invalidate');
    expect(result.out).toContain('got second token');
    expect(result.code).toBe(0);
  });

  it('a back-off that nobody awaits does not keep the process alive', async () => {
    const emu = await emulator({ accessTokenTtlSeconds: 4 });
    // Direct Login works; every refresh fails with 503 and backs off for 15 s or more.
    for (const path of ['/oauth/token', '/oauth/v2/token']) {
      emu.fault({ type: 'status', status: 503 }, { rate: 1, path });
    }
    const result = await run(emu.url, 'failing-refresh');
    expect(result.out).toContain('busy done');
    expect(emu.requests.some((r) => r.grantType !== 'password' && r.status === 503)).toBe(true);
    expect(result.code).toBe(0);
  });

  it('close() leaves nothing running', async () => {
    const emu = await emulator();
    const result = await run(emu.url, 'close');
    expect(result.out).toContain('closed');
    expect(result.code).toBe(0);
  });
});
