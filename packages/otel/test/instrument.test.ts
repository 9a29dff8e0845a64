import { readFileSync } from 'node:fs';
import { MemoryTokenStore } from '@goto-auth/core';
import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import { auth, emulator, rejection } from '@goto-auth/test-support';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { DataPoint, Histogram, MetricData } from '@opentelemetry/sdk-metrics';
import { describe, expect, it, vi } from 'vitest';
import { instrumentGoToAuth, METRICS, SPAN_NAME } from '../src/index.js';
import { inMemorySdk } from './support/sdk.js';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** The SDK, and a collect() that checks the scope: the package's name and version. */
function telemetry() {
  const sdk = inMemorySdk();
  return {
    ...sdk,
    async collect(): Promise<Map<string, MetricData>> {
      const { scopes, metrics } = await sdk.collect();
      expect(scopes).toEqual([{ name: '@goto-auth/otel', version: manifest.version }]);
      return metrics;
    },
  };
}

type Point = DataPoint<unknown>;

function points(metrics: Map<string, MetricData>, name: string): Point[] {
  return (metrics.get(name)?.dataPoints ?? []) as Point[];
}

/** The value of the one point whose attributes include `attributes`. */
function value(metrics: Map<string, MetricData>, name: string, attributes = {}): unknown {
  const found = points(metrics, name).filter((p) => matches(p.attributes, attributes));
  expect(found, `${name} ${JSON.stringify(attributes)}`).toHaveLength(1);
  return found[0]?.value;
}

function matches(actual: object, expected: object): boolean {
  return Object.entries(expected).every(([k, v]) => (actual as Record<string, unknown>)[k] === v);
}

describe('instrumentGoToAuth', () => {
  it('counts a grant, times it and traces it; a cached getToken() adds nothing', async () => {
    const emu = await emulator();
    const t = telemetry();
    const goto = auth(emu);
    instrumentGoToAuth(goto, t);
    const before = Date.now();
    await goto.getToken();
    await goto.getToken();
    const metrics = await t.collect();
    const success = { 'goto_auth.grant_type': 'password', 'goto_auth.outcome': 'success' };
    expect(value(metrics, METRICS.grants, success)).toBe(1);
    const duration = value(metrics, METRICS.requestDuration, success) as Histogram;
    expect(duration.count).toBe(1);
    expect(duration.sum).toBeGreaterThanOrEqual(0);
    expect(duration.sum).toBeLessThan(30);
    expect(metrics.get(METRICS.requestDuration)?.descriptor.unit).toBe('s');
    expect(
      value(metrics, METRICS.tokens, {
        'goto_auth.token.source': 'password',
        'goto_auth.refresh.reason': 'initial',
      }),
    ).toBe(1);

    const spans = t.spans.getFinishedSpans();
    expect(spans).toHaveLength(1);
    const span = spans[0];
    expect(span?.name).toBe(SPAN_NAME);
    expect(span?.kind).toBe(SpanKind.CLIENT);
    expect(span?.attributes).toMatchObject({ ...success, 'http.response.status_code': 200 });
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
    const startMs = (span?.startTime[0] ?? 0) * 1000 + (span?.startTime[1] ?? 0) / 1e6;
    expect(startMs).toBeGreaterThanOrEqual(before - 1);
    expect(span?.duration[0] ?? -1).toBe(Math.floor(duration.sum ?? 0));
  });

  it('records a failed grant with its error code, on the metric and the span', async () => {
    const emu = await emulator();
    const t = telemetry();
    const goto = auth(emu, { password: 'wrong-password' });
    instrumentGoToAuth(goto, t);
    await rejection(goto.getToken());
    const metrics = await t.collect();
    expect(
      value(metrics, METRICS.grants, {
        'goto_auth.grant_type': 'password',
        'goto_auth.outcome': 'failure',
        'error.type': 'INVALID_CREDENTIALS',
      }),
    ).toBe(1);
    const [span] = t.spans.getFinishedSpans();
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'INVALID_CREDENTIALS' });
    expect(span?.attributes['http.response.status_code']).toBe(400);
  });

  it('counts a refresh_token grant apart from password grants', async () => {
    const emu = await emulator({ accessTokenTtlSeconds: 60 });
    const t = telemetry();
    let now = Date.now();
    const goto = auth(emu, { now: () => now, refreshMargin: 10_000 });
    instrumentGoToAuth(goto, t);
    const first = await goto.getToken();
    now = first.expiresAt - 5_000;
    await goto.getToken();
    const metrics = await t.collect();
    expect(value(metrics, METRICS.grants, { 'goto_auth.grant_type': 'refresh_token' })).toBe(1);
    expect(value(metrics, METRICS.grants, { 'goto_auth.grant_type': 'password' })).toBe(1);
    expect(t.spans.getFinishedSpans()).toHaveLength(2);
  });

  it('counts rejected tokens, stale or not', async () => {
    const emu = await emulator();
    const t = telemetry();
    const goto = auth(emu, { minGrantInterval: 0 });
    instrumentGoToAuth(goto, t);
    const first = await goto.getToken();
    goto.invalidate(first.accessToken);
    await goto.getToken();
    goto.invalidate(first.accessToken);
    goto.invalidate(first.accessToken);
    const metrics = await t.collect();
    expect(value(metrics, METRICS.rejections, { 'goto_auth.stale': false })).toBe(1);
    expect(value(metrics, METRICS.rejections, { 'goto_auth.stale': true })).toBe(2);
  });

  it('counts credential contention warnings', async () => {
    const emu = await emulator();
    const t = telemetry();
    const goto = auth(emu, { minGrantInterval: 0 });
    instrumentGoToAuth(goto, t);
    for (let i = 0; i < 3; i++) goto.invalidate((await goto.getToken()).accessToken);
    const metrics = await t.collect();
    expect(
      value(metrics, METRICS.warnings, { 'goto_auth.warning.code': 'CREDENTIALS_CONTENDED' }),
    ).toBe(1);
  });

  it('times the wait for the store lock while another instance refreshes', async () => {
    const emu = await emulator();
    const t = telemetry();
    const store = new MemoryTokenStore();
    const holder = auth(emu, { store });
    const waiter = auth(emu, { store, lockPollInterval: 5 });
    instrumentGoToAuth(waiter, t);
    emu.fault({ type: 'latency', ms: 200 });
    const [a, b] = await Promise.all([holder.getToken(), waiter.getToken()]);
    expect(b.accessToken).toBe(a.accessToken);
    expect(emu.counters.passwordGrants).toBe(1);
    const metrics = await t.collect();
    const wait = value(metrics, METRICS.lockWait, {
      'goto_auth.lock.outcome': 'delivered',
    }) as Histogram;
    expect(wait.count).toBe(1);
    expect(points(metrics, METRICS.grants)).toEqual([]);
  });

  it('reports the time left on the token, 0 without one or once closed', async () => {
    const emu = await emulator({ accessTokenTtlSeconds: 600 });
    const t = telemetry();
    const goto = auth(emu);
    instrumentGoToAuth(goto, t);
    expect(value(await t.collect(), METRICS.timeLeft)).toBe(0);
    await goto.getToken();
    const left = value(await t.collect(), METRICS.timeLeft) as number;
    expect(left).toBeGreaterThan(500);
    expect(left).toBeLessThanOrEqual(600);
    await goto.close();
    expect(value(await t.collect(), METRICS.timeLeft)).toBe(0);
  });

  it('adds the given attributes, and never a user id, secret or token', async () => {
    const emu = await emulator();
    const t = telemetry();
    const goto = auth(emu, { minGrantInterval: 0 });
    instrumentGoToAuth(goto, { ...t, attributes: { 'goto_auth.instance': 'billing' } });
    const token = await goto.getToken();
    goto.invalidate(token.accessToken);
    await goto.getToken();
    const metrics = await t.collect();
    const attributes = [
      ...[...metrics.values()].flatMap((m) => m.dataPoints.map((p) => p.attributes)),
      ...t.spans.getFinishedSpans().map((s) => s.attributes),
    ];
    expect(attributes.length).toBeGreaterThan(5);
    const text = JSON.stringify(attributes);
    for (const secret of [
      token.accessToken,
      token.refreshToken,
      EMULATOR_DEFAULTS.userId,
      EMULATOR_DEFAULTS.password,
      EMULATOR_DEFAULTS.clientSecret,
      EMULATOR_DEFAULTS.clientId,
      emu.url,
    ]) {
      expect(text).not.toContain(secret);
    }
    for (const set of attributes) expect(set['goto_auth.instance']).toBe('billing');
  });

  it('stops reporting once uninstalled', async () => {
    const emu = await emulator();
    const t = telemetry();
    const goto = auth(emu, { minGrantInterval: 0 });
    const uninstall = instrumentGoToAuth(goto, t);
    await goto.getToken();
    uninstall();
    uninstall();
    const status = vi.spyOn(goto, 'status');
    goto.invalidate((await goto.getToken()).accessToken);
    await goto.getToken();
    const metrics = await t.collect();
    expect(value(metrics, METRICS.grants)).toBe(1);
    expect(points(metrics, METRICS.rejections)).toEqual([]);
    expect(status).not.toHaveBeenCalled();
    expect(t.spans.getFinishedSpans()).toHaveLength(1);
  });
});
