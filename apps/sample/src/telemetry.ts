import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GoToAuthService } from '@goto-auth/nestjs';
import { instrumentGoToAuth } from '@goto-auth/otel';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { SampleConfig } from './config.js';
import { SAMPLE_CONFIG } from './goto-backend.module.js';

/**
 * The OpenTelemetry metrics SDK with a Prometheus exporter, fed by `@goto-auth/otel`. Prometheus
 * scrapes `http://HOST:METRICS_PORT/metrics`; the page reads the same text at `/api/metrics`.
 * Installed when the provider is built, before the warm-up, so the first grant is counted.
 */
@Injectable()
export class Telemetry implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly #exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  readonly #provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'goto-auth-sample' }),
    readers: [this.#exporter],
  });
  readonly #uninstall: () => void;
  #server: Server | undefined;

  constructor(
    goto: GoToAuthService,
    @Inject(SAMPLE_CONFIG) private readonly config: SampleConfig,
  ) {
    this.#uninstall = instrumentGoToAuth(goto.auth, { meterProvider: this.#provider });
  }

  /** Answers the Prometheus text of every metric. */
  serve(request: IncomingMessage, response: ServerResponse): void {
    response.setHeader('cache-control', 'no-store');
    this.#exporter.getMetricsRequestHandler(request, response);
  }

  async onApplicationBootstrap(): Promise<void> {
    const server = createServer((request, response) => {
      if (request.method === 'GET' && request.url?.split('?')[0] === '/metrics') {
        this.serve(request, response);
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.metricsPort, this.config.host, () => resolve());
    });
    this.#server = server;
    const { port } = server.address() as AddressInfo;
    const host = this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host;
    new Logger('Sample').log(`Metrics for Prometheus on http://${host}:${port}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    this.#uninstall();
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    await this.#provider.shutdown();
  }
}
