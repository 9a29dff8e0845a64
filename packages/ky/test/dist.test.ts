import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import { beforeAll, describe, expect, it } from 'vitest';
import { emulator } from './helpers.js';

const dist = ['../dist/index.cjs', '../dist/index.mjs'].map((path) =>
  fileURLToPath(new URL(path, import.meta.url)),
);
const fixture = fileURLToPath(new URL('./fixtures/built.cjs', import.meta.url));
const run = promisify(execFile);

// Guards the published files: the CommonJS build loads ES-module-only ky through require(esm),
// where bundler interop once broke `ky.retry()`. A plain Node process, because vitest's module
// runner does not load them as Node does. The builds of this package and of core are made here,
// so the test never runs a stale dist and passes from a fresh clone.
describe('the built package', () => {
  beforeAll(async () => {
    for (const dir of ['../../core', '..']) {
      await run('pnpm', ['exec', 'tsdown', '--log-level', 'warn'], {
        cwd: fileURLToPath(new URL(dir, import.meta.url)),
      });
    }
    const missing = dist.filter((path) => !existsSync(path));
    if (missing.length > 0) throw new Error(`The build made no ${missing.join(', ')}`);
  }, 120_000);

  it.each(['cjs', 'esm'])('retries once after a revocation when loaded as %s', async (format) => {
    const emu = await emulator();
    const { clientId, userId, password } = EMULATOR_DEFAULTS;
    const env = {
      ...process.env,
      GOTO_BASE_URL: emu.url,
      GOTO_CLIENT_ID: clientId,
      GOTO_USER_ID: userId,
      GOTO_PASSWORD: password,
    };

    const { stdout } = await run(process.execPath, [fixture, format], {
      env,
      timeout: 20_000,
    });

    expect(JSON.parse(stdout)).toEqual({
      organizerKey: EMULATOR_DEFAULTS.organizerKey,
      viaFetch: EMULATOR_DEFAULTS.organizerKey,
    });
    expect(emu.counters.meRejected).toBe(1);
    expect(emu.counters.meCalls).toBe(4);
    expect(emu.counters.passwordGrants).toBe(3);
  });
});
