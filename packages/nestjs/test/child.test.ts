import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import { expect, it } from 'vitest';
import { emulator } from './helpers.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/app.ts', import.meta.url));
const KILL_AFTER_MS = 60_000;

function run(url: string): Promise<{ code: number | null; out: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // cwd: tsx reads experimentalDecorators from this package's tsconfig.json.
    const child = spawn(
      process.execPath,
      ['--conditions=@goto-auth/source', '--import', 'tsx', fixture, url],
      { cwd: packageDir, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, out, ms: Date.now() - started });
    });
  });
}

it('a Nest app closed with app.close() leaves nothing running: the process exits by itself', async () => {
  const emu = await emulator();
  const result = await run(emu.url);
  expect(result.out).toContain(`token 200 ${EMULATOR_DEFAULTS.organizerKey}`);
  expect(result.out).toContain('after close: CLOSED');
  // A SIGKILL by the watchdog would leave code null.
  expect(result.code).toBe(0);
  expect(result.ms).toBeLessThan(KILL_AFTER_MS);
  // The warm-up's grant served the HTTP request as well.
  expect(emu.counters.passwordGrants).toBe(1);
}, 90_000);
