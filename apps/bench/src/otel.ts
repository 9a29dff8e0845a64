import { createGoToAuth } from '@goto-auth/core';
import { instrumentGoToAuth } from '@goto-auth/otel';
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
import { fmtInt, fmtRatio } from './lib/format.ts';
import { CREDENTIALS, fakeGoToFetch } from './lib/goto.ts';
import type { Section } from './lib/report.ts';
import { perCallRounds, type RoundsConfig } from './lib/rounds.ts';
import { median } from './lib/stats.ts';

/** Awaited calls per sample, as in figure 1. */
const BATCH = 1000;

type Candidate = 'off' | 'on';

/**
 * Figure 11: cached `getToken()` with `@goto-auth/otel` installed (the real SDK's meter and
 * tracer providers behind it) against the same without it.
 */
export async function otelFigure(config: RoundsConfig): Promise<Section> {
  const plain = createGoToAuth({ ...CREDENTIALS, fetch: fakeGoToFetch(3600), logger: false });
  const instrumented = createGoToAuth({
    ...CREDENTIALS,
    fetch: fakeGoToFetch(3600),
    logger: false,
  });
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 3_600_000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())],
  });
  const uninstall = instrumentGoToAuth(instrumented, { meterProvider, tracerProvider });
  await plain.getToken();
  await instrumented.getToken();

  const batches: Record<Candidate, () => Promise<void>> = {
    off: async () => {
      for (let i = 0; i < BATCH; i++) await plain.getToken();
    },
    on: async () => {
      for (let i = 0; i < BATCH; i++) await instrumented.getToken();
    },
  };
  const perCall = await perCallRounds(batches, BATCH, config);
  // One collection, so the figure also proves the metrics were live while measured.
  await reader.forceFlush();
  uninstall();
  await Promise.all([plain.close(), instrumented.close()]);
  await Promise.all([meterProvider.shutdown(), tracerProvider.shutdown()]);

  const ops = (n: Candidate) => 1e9 / median(perCall[n]);
  // Per-round ratios (the two ran back to back), then their median: resists the machine's drift.
  const ratio = median(perCall.off.map((off, round) => off / (perCall.on[round] as number)));
  return {
    id: 11,
    title: 'Metrics on: getToken() with @goto-auth/otel installed',
    how:
      `As figure 1: mitata \`measure\`, one sample = ${BATCH} awaited calls, p50; ` +
      `${config.rounds} interleaved rounds of ≥ ${config.minCpuTimeMs} ms per candidate. ` +
      '"on" is a GoToAuth with `instrumentGoToAuth` installed on the real SDK (sdk-metrics ' +
      'MeterProvider with a reader, sdk-trace-base BasicTracerProvider); "off" an identical ' +
      'GoToAuth without it.',
    peers: ['metrics off'],
    rows: [
      {
        figure: 'cached getToken(), calls/s, metrics on',
        ours: fmtInt(ops('on')),
        peers: [fmtInt(ops('off'))],
        ratio: `${fmtRatio(ratio)} of metrics off`,
        target: '≥ 0.95x of metrics off',
        met: ratio >= 0.95,
        kind: 'speed',
      },
    ],
    notes: [
      'The instrumentation listens to events that fire on token requests, lock waits, ' +
        'rejections and warnings, and reads `status()` when the gauge is collected: the cached ' +
        'path emits nothing, so the two should be equal within noise.',
    ],
  };
}
