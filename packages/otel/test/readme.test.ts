import { createGoToAuth } from '@goto-auth/core';
import { emulator, onCleanup, stubGoToEnv } from '@goto-auth/test-support';
import { metrics, trace } from '@opentelemetry/api';
import { expect, it } from 'vitest';
import { instrumentGoToAuth } from '../src/index.js';
import { inMemorySdk } from './support/sdk.js';

it('runs the README usage with the global providers', async () => {
  const emu = await emulator();
  stubGoToEnv(emu);
  const sdk = inMemorySdk();
  metrics.setGlobalMeterProvider(sdk.meterProvider);
  trace.setGlobalTracerProvider(sdk.tracerProvider);
  onCleanup(() => {
    metrics.disable();
    trace.disable();
  });

  // --- README usage (the imports are above) ---
  const auth = createGoToAuth({
    clientId: process.env.GOTO_CLIENT_ID ?? '',
    userId: process.env.GOTO_USER_ID ?? '',
    password: process.env.GOTO_PASSWORD ?? '',
    baseUrl: process.env.GOTO_BASE_URL, // the emulator here
  });
  const uninstall = instrumentGoToAuth(auth);
  // --- end of README usage ---
  onCleanup(() => auth.close());
  onCleanup(uninstall);

  await auth.getToken();
  const { metrics: collected } = await sdk.collect();
  expect(collected.has('goto_auth.grants')).toBe(true);
  expect(sdk.spans.getFinishedSpans().map((s) => s.name)).toEqual(['goto_auth.token_request']);
});
