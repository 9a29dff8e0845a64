import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EmulatorFault, type GoToEmulator, startEmulator } from '../src/index.js';
import { legacyGrant, me, tokens, v2Password } from './helpers.js';

let emulator: GoToEmulator;

beforeEach(async () => {
  emulator = await startEmulator();
});

afterEach(async () => {
  await emulator.close();
});

describe('fault types', () => {
  it('latency: waits, then answers normally', async () => {
    emulator.fault({ type: 'latency', ms: 150 });
    const started = performance.now();
    const body = await tokens(legacyGrant(emulator));
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect((await me(emulator, body.access_token)).status).toBe(200);
    expect(emulator.counters).toMatchObject({ faults: 1, passwordGrants: 1 });
    expect(emulator.requests[0]).toMatchObject({ status: 200, fault: 'latency' });
  });

  it('status 500: OAuth server_error JSON', async () => {
    emulator.fault({ type: 'status', status: 500 });
    const res = await legacyGrant(emulator);
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: 'server_error' });
  });

  it.each([502, 503] as const)('status %i: a plain-text proxy page', async (status) => {
    emulator.fault({ type: 'status', status });
    const res = await legacyGrant(emulator);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toContain(String(status));
  });

  it('rate-limit: 429 with Retry-After', async () => {
    emulator.fault({ type: 'rate-limit', retryAfterSeconds: 7 });
    const res = await legacyGrant(emulator);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    await res.body?.cancel();
  });

  it('malformed-json: 200 application/json that does not parse', async () => {
    emulator.fault({ type: 'malformed-json' });
    const res = await legacyGrant(emulator);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const text = await res.text();
    expect(text.startsWith('{"access_token":')).toBe(true);
    expect(() => JSON.parse(text)).toThrow();
    // Not the documented trailing-comma text either, which clients are expected to accept.
    expect(() => JSON.parse(text.replace(/,\s*}$/, '}'))).toThrow();
  });

  it('html: 200 text/html error page', async () => {
    emulator.fault({ type: 'html' });
    const res = await legacyGrant(emulator);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toMatch(/^<!DOCTYPE html>/);
  });

  it('drop: the socket closes without an answer, fetch rejects', async () => {
    emulator.fault({ type: 'drop' });
    await expect(legacyGrant(emulator)).rejects.toThrow();
    expect(emulator.requests[0]).toMatchObject({ status: 0, fault: 'drop' });
    expect((await legacyGrant(emulator)).status).toBe(200);
  });

  it('oversized: 200 JSON of about 5 MiB', async () => {
    emulator.fault({ type: 'oversized' });
    const res = await legacyGrant(emulator);
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('content-length'))).toBeGreaterThanOrEqual(5 * 1024 * 1024);
    const text = await res.text();
    expect(text.length).toBeGreaterThanOrEqual(1024 * 1024);
    expect(JSON.parse(text)).toMatchObject({ expires_in: '3600' });
  });

  it('missing-access-token: the documented shape without access_token', async () => {
    emulator.fault({ type: 'missing-access-token' });
    const body = (await (await legacyGrant(emulator)).json()) as Record<string, string>;
    expect(body).not.toHaveProperty('access_token');
    expect(body).toMatchObject({ expires_in: '3600', organizer_key: '8439885694023999999' });
  });

  it('bad-expires-in: expires_in "soon"; the token it carries was never issued', async () => {
    const ours = await tokens(legacyGrant(emulator));
    emulator.fault({ type: 'bad-expires-in' });
    const body = (await (await legacyGrant(emulator)).json()) as Record<string, string>;
    expect(body.expires_in).toBe('soon');
    expect((await me(emulator, body.access_token)).status).toBe(403);
    // A fault changes no state: our token was not revoked, no grant was counted.
    expect((await me(emulator, ours.access_token)).status).toBe(200);
    expect(emulator.counters).toMatchObject({ passwordGrants: 1, faults: 1, tokenErrors: 0 });
  });
});

describe('fault matching', () => {
  const unavailable: EmulatorFault = { type: 'status', status: 503 };

  it('applies once by default, then as many times as asked', async () => {
    emulator.fault(unavailable);
    expect((await legacyGrant(emulator)).status).toBe(503);
    expect((await legacyGrant(emulator)).status).toBe(200);
    emulator.fault(unavailable, { times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await legacyGrant(emulator)).status);
    expect(statuses).toEqual([503, 503, 200]);
  });

  it('rate 1 applies to every request until cleared; rate 0 to none', async () => {
    emulator.fault(unavailable, { rate: 1 });
    for (let i = 0; i < 5; i++) expect((await v2Password(emulator)).status).toBe(503);
    emulator.clearFaults();
    expect((await v2Password(emulator)).status).toBe(200);
    emulator.fault(unavailable, { rate: 0 });
    for (let i = 0; i < 5; i++) expect((await v2Password(emulator)).status).toBe(200);
  });

  it('rate 0.5 applies to about half the requests', async () => {
    emulator.fault({ type: 'status', status: 500 }, { rate: 0.5, path: '/nowhere' });
    let faulted = 0;
    for (let i = 0; i < 200; i++) {
      const res = await fetch(`${emulator.url}/nowhere`);
      await res.body?.cancel();
      if (res.status === 500) faulted++;
    }
    expect(faulted).toBeGreaterThan(50);
    expect(faulted).toBeLessThan(150);
    expect(emulator.counters.faults).toBe(faulted);
  });

  it('targets the token endpoints by default, other paths on request', async () => {
    const token = await tokens(legacyGrant(emulator));
    emulator.fault(unavailable);
    expect((await me(emulator, token.access_token)).status).toBe(200);
    expect((await v2Password(emulator)).status).toBe(503);
    emulator.fault(unavailable, { path: '/admin/' });
    const fresh = await tokens(legacyGrant(emulator));
    expect((await me(emulator, fresh.access_token)).status).toBe(503);
    emulator.fault(unavailable, { path: '/oauth/v2/' });
    expect((await legacyGrant(emulator)).status).toBe(200);
    expect((await v2Password(emulator)).status).toBe(503);
  });

  it('applies at most one fault per request, first registered first', async () => {
    emulator.fault({ type: 'status', status: 500 });
    emulator.fault({ type: 'status', status: 502 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await legacyGrant(emulator)).status);
    expect(statuses).toEqual([500, 502, 200]);
  });

  it('reset() clears faults, counters and the log, but keeps tokens', async () => {
    const token = await tokens(legacyGrant(emulator));
    emulator.fault(unavailable, { rate: 1 });
    const counters = emulator.counters;
    const requests = emulator.requests;
    emulator.reset();
    expect(emulator.counters).toBe(counters);
    expect(Object.values(counters).every((n) => n === 0)).toBe(true);
    expect(requests).toHaveLength(0);
    expect((await me(emulator, token.access_token)).status).toBe(200);
    expect((await legacyGrant(emulator)).status).toBe(200);
    expect(emulator.requests).toHaveLength(2);
  });

  it('rejects invalid faults and options', () => {
    expect(() => emulator.fault({ type: 'latency', ms: -1 })).toThrow(RangeError);
    expect(() => emulator.fault({ type: 'status', status: 404 as 500 })).toThrow(/status/);
    expect(() => emulator.fault({ type: 'nope' } as unknown as EmulatorFault)).toThrow(/unknown/);
    expect(() => emulator.fault(unavailable, { times: 0 })).toThrow(/times/);
    expect(() => emulator.fault(unavailable, { rate: 1.5 })).toThrow(/rate/);
    expect(() => emulator.fault(unavailable, { times: 1, rate: 0.5 })).toThrow(/not both/);
  });
});
