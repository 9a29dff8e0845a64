import { fileURLToPath } from 'node:url';
import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import { expectSixCallsOneGrant } from '@goto-auth/test-support';
import { bundle, startWorkerd } from '@goto-auth/test-support/runtimes';
import { beforeAll, describe, expect, it } from 'vitest';
import { emulator, onCleanup } from './helpers.js';

let code: string;
beforeAll(async () => {
  // @goto-auth/hono and core from their dist, bundled as for `wrangler deploy`.
  code = await bundle(fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url)));
});

async function worker(bindings: Record<string, string>) {
  // No compatibility flags: neither Hono nor goto-auth needs nodejs_compat.
  const started = await startWorkerd(code, { bindings });
  onCleanup(() => started.close());
  return started;
}

describe('goToAuth in workerd (Cloudflare Workers)', () => {
  it('builds the auth object from bindings and shares one grant between concurrent requests', async () => {
    const emu = await emulator();
    // A slow grant, so the requests overlap while it is in flight.
    emu.fault({ type: 'latency', ms: 200 });
    const { url } = await worker({
      GOTO_CLIENT_ID: EMULATOR_DEFAULTS.clientId,
      GOTO_USER_ID: EMULATOR_DEFAULTS.userId,
      GOTO_PASSWORD: EMULATOR_DEFAULTS.password,
      GOTO_BASE_URL: emu.url,
    });
    await expectSixCallsOneGrant(`${url}/goto/me`, emu);
  });

  it('answers problem+json when the credentials are wrong', async () => {
    const emu = await emulator();
    const { url, stderr } = await worker({
      GOTO_CLIENT_ID: EMULATOR_DEFAULTS.clientId,
      GOTO_USER_ID: EMULATOR_DEFAULTS.userId,
      GOTO_PASSWORD: 'workerd-wrong-password',
      GOTO_BASE_URL: emu.url,
    });

    const response = await fetch(`${url}/goto/me`);
    const text = await response.text();

    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(text)).toMatchObject({ status: 500, code: 'INVALID_CREDENTIALS' });
    expect(text).not.toContain('workerd-wrong-password');
    expect(stderr()).not.toContain('workerd-wrong-password');
    expect(emu.counters.tokenErrors).toBe(1);
  });
});
