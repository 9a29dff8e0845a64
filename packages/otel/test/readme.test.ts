import { createGoToAuth } from '@goto-auth/core';
import { emulator, onCleanup, stubGoToEnv } from '@goto-auth/test-support';
import { metrics, trace } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { expect, it } from 'vitest';
import { instrumentGoToAuth } from '../src/index.js';

it('runs the README usage with the global providers', async () => {
  const emu = await emulator();
  stubGoToEnv(emu);
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const spans = new InMemorySpanExporter();
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
  );
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
  await reader.forceFlush();
  const names = exporter
    .getMetrics()
    .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name)));
  expect(names).toContain('goto_auth.grants');
  expect(spans.getFinishedSpans().map((s) => s.name)).toEqual(['goto_auth.token_request']);
});
