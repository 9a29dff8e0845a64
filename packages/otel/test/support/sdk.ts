/**
 * The real OpenTelemetry SDK with in-memory exporters, shut down after the test: what the tests
 * read the metrics and spans from.
 */
import { onCleanup } from '@goto-auth/test-support';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

export function inMemorySdk() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // Collected on demand (forceFlush), never by the timer.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spans)],
  });
  onCleanup(async () => {
    await meterProvider.shutdown();
    await tracerProvider.shutdown();
  });
  return {
    meterProvider,
    tracerProvider,
    spans,
    /** Collects now; every metric of every scope, by name, with its scope. */
    async collect(): Promise<{
      scopes: { name: string; version?: string | undefined }[];
      metrics: Map<string, MetricData>;
    }> {
      exporter.reset();
      await reader.forceFlush();
      const scopeMetrics = exporter.getMetrics().at(-1)?.scopeMetrics ?? [];
      return {
        scopes: scopeMetrics.map((scope) => ({
          name: scope.scope.name,
          version: scope.scope.version,
        })),
        metrics: new Map(
          scopeMetrics.flatMap((scope) => scope.metrics).map((m) => [m.descriptor.name, m]),
        ),
      };
    },
  };
}
