import type { GoToAuth } from '@goto-auth/core';
import {
  type Attributes,
  type MeterProvider,
  metrics,
  type ObservableResult,
  SpanKind,
  SpanStatusCode,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { name, version } from '../package.json' with { type: 'json' };

/** The instrumentation scope: the meter's and tracer's name. */
export const INSTRUMENTATION_NAME: string = name;
/** The instrumentation scope's version: this package's version. */
export const INSTRUMENTATION_VERSION: string = version;

/** Options of {@link instrumentGoToAuth}. */
export interface GoToAuthInstrumentationOptions {
  /**
   * Where the metrics go.
   * @defaultValue the global provider (`metrics.getMeterProvider()`), a no-op until an SDK registers one
   */
  meterProvider?: MeterProvider;
  /**
   * Where the spans go.
   * @defaultValue the global provider (`trace.getTracerProvider()`)
   */
  tracerProvider?: TracerProvider;
  /**
   * Added to every data point and span: tells several `GoToAuth` instances of one process apart.
   * Keep it low-cardinality (an account's role, never a user id or an e-mail address).
   *
   * @defaultValue `{}`
   * @example
   * ```ts
   * { 'goto_auth.instance': 'billing' }
   * ```
   */
  attributes?: Attributes;
}

/** Names of the metrics, for dashboards and tests. Prometheus shows dots as underscores. */
export const METRICS = {
  /** Counter of token requests to GoTo, by `goto_auth.grant_type`, `goto_auth.outcome`, `error.type`. */
  grants: 'goto_auth.grants',
  /** Histogram of token request durations, in seconds, with the attributes of `grants`. */
  requestDuration: 'goto_auth.request.duration',
  /** Counter of tokens that GoTo rejected (`invalidate()`), by `goto_auth.stale`. */
  rejections: 'goto_auth.token.rejections',
  /** Histogram of waits for the store's refresh lock, in seconds, by `goto_auth.lock.outcome`. */
  lockWait: 'goto_auth.lock.wait.duration',
  /** Gauge of the seconds left before the current token expires (0 without a token or once closed). */
  timeLeft: 'goto_auth.token.time_left',
  /** Counter of tokens put in use, by `goto_auth.token.source` and `goto_auth.refresh.reason`. */
  tokens: 'goto_auth.tokens',
  /** Counter of warnings, by `goto_auth.warning.code` (`CREDENTIALS_CONTENDED`…). */
  warnings: 'goto_auth.warnings',
} as const;

/** The span's name: one per token request (a cached `getToken()` makes none). */
export const SPAN_NAME = 'goto_auth.token_request' as const;

const DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Reports a `GoToAuth`'s metrics and a span per token request through the OpenTelemetry API.
 * It listens to core's events and reads `status()` when the gauge is collected: it adds nothing
 * to the `getToken()` hot path. No attribute identifies a user or holds a token, a principal
 * or a URL.
 *
 * @returns a function that removes the listeners and the gauge's callback
 * @example
 * ```ts
 * const auth = createGoToAuth({ clientId, userId, password });
 * const uninstall = instrumentGoToAuth(auth); // the global meter and tracer providers
 * ```
 */
export function instrumentGoToAuth(
  auth: GoToAuth,
  options: GoToAuthInstrumentationOptions = {},
): () => void {
  const base = options.attributes ?? {};
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(
    INSTRUMENTATION_NAME,
    INSTRUMENTATION_VERSION,
  );
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(
    INSTRUMENTATION_NAME,
    INSTRUMENTATION_VERSION,
  );

  const grants = meter.createCounter(METRICS.grants, {
    description: 'Token requests sent to GoTo, by grant type and outcome.',
    unit: '{request}',
  });
  const requestDuration = meter.createHistogram(METRICS.requestDuration, {
    description: 'How long GoTo took to answer a token request.',
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  const rejections = meter.createCounter(METRICS.rejections, {
    description:
      'Tokens reported rejected by GoTo (invalidate()); stale=true when the named token was no longer in use.',
    unit: '{token}',
  });
  const lockWait = meter.createHistogram(METRICS.lockWait, {
    description: "How long a refresh waited for the store's lock, by outcome.",
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  const tokens = meter.createCounter(METRICS.tokens, {
    description: 'Tokens put in use, by where they came from and why the refresh ran.',
    unit: '{token}',
  });
  const warnings = meter.createCounter(METRICS.warnings, {
    description:
      'Warnings that need a person: CREDENTIALS_CONTENDED (another client mints tokens with these credentials), STORE_UNAVAILABLE…',
    unit: '{warning}',
  });
  const timeLeft = meter.createObservableGauge(METRICS.timeLeft, {
    description: 'Seconds before the current token expires; 0 without a token, or once closed.',
    unit: 's',
  });
  const observeTimeLeft = (result: ObservableResult): void => {
    const status = auth.status();
    const usable = status.state !== 'closed' && status.state !== 'empty';
    const expiresAt = usable ? status.token?.expiresAt : undefined;
    const left = expiresAt === undefined ? 0 : Math.max(0, (expiresAt - Date.now()) / 1000);
    result.observe(left, base);
  };
  timeLeft.addCallback(observeTimeLeft);

  const removers = [
    auth.on('request', (event) => {
      const attributes: Attributes = {
        ...base,
        'goto_auth.grant_type': event.grant,
        'goto_auth.outcome': event.outcome,
      };
      if (event.code !== undefined) attributes['error.type'] = event.code;
      grants.add(1, attributes);
      requestDuration.record(event.durationMs / 1000, attributes);
      const span = tracer.startSpan(SPAN_NAME, {
        kind: SpanKind.CLIENT,
        startTime: event.startedAt,
        attributes:
          event.status === undefined
            ? attributes
            : { ...attributes, 'http.response.status_code': event.status },
      });
      if (event.outcome === 'failure') {
        span.setStatus({ code: SpanStatusCode.ERROR, message: event.code ?? 'failure' });
      }
      span.end(event.startedAt + event.durationMs);
    }),
    auth.on('lock', (event) => {
      lockWait.record(event.waitMs / 1000, { ...base, 'goto_auth.lock.outcome': event.outcome });
    }),
    auth.on('invalidated', (event) => {
      rejections.add(1, { ...base, 'goto_auth.stale': event.stale });
    }),
    auth.on('token', (event) => {
      tokens.add(1, {
        ...base,
        'goto_auth.token.source': event.source,
        'goto_auth.refresh.reason': event.reason,
      });
    }),
    auth.on('warning', (event) => {
      warnings.add(1, { ...base, 'goto_auth.warning.code': event.code });
    }),
  ];

  let installed = true;
  return () => {
    if (!installed) return;
    installed = false;
    for (const remove of removers) remove();
    timeLeft.removeCallback(observeTimeLeft);
  };
}
