import { describe, expect, it } from 'vitest';
import { startEmulator } from '../src/index.js';
import { closedAfterEach, legacyGrant, me, tokens } from './helpers.js';

const start = closedAfterEach();

describe('rateLimit (GoTo: 10 requests a second per API)', () => {
  it('answers the 11th request within a second 429 with Retry-After, per API', async () => {
    let now = Date.UTC(2030, 0, 1);
    const emulator = await start({ rateLimit: true, now: () => now });
    const first = await tokens(legacyGrant(emulator));
    for (let i = 0; i < 9; i++) {
      now += 10;
      expect((await legacyGrant(emulator)).status).toBe(200);
    }
    const limited = await legacyGrant(emulator);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(await limited.json()).toMatchObject({ error: 'rate_limited' });
    // Another API has its own budget.
    expect((await me(emulator, first.access_token)).status).toBe(403);
    // The window slides: the first request leaves it 1 s after it was served.
    now = Date.UTC(2030, 0, 1) + 999;
    expect((await legacyGrant(emulator)).status).toBe(429);
    now = Date.UTC(2030, 0, 1) + 1000;
    expect((await legacyGrant(emulator)).status).toBe(200);
    expect(emulator.counters).toMatchObject({ rateLimited: 2, passwordGrants: 11, meCalls: 1 });
    expect(emulator.requests.filter((entry) => entry.status === 429)).toEqual([
      expect.objectContaining({ path: '/oauth/access_token', error: 'rate_limited' }),
      expect.objectContaining({ path: '/oauth/access_token', error: 'rate_limited' }),
    ]);
  });

  it('is off by default', async () => {
    const emulator = await start({ now: () => 0 });
    for (let i = 0; i < 25; i++) expect((await legacyGrant(emulator)).status).toBe(200);
    expect(emulator.counters.rateLimited).toBe(0);
  });

  it('can be switched and sized at run time', async () => {
    let now = 1_000_000;
    const emulator = await start({ now: () => now });
    emulator.setRateLimit({ requestsPerSecond: 2 });
    expect((await legacyGrant(emulator)).status).toBe(200);
    now += 400;
    expect((await legacyGrant(emulator)).status).toBe(200);
    now += 100;
    const limited = await legacyGrant(emulator);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    emulator.setRateLimit(false);
    expect((await legacyGrant(emulator)).status).toBe(200);
  });

  it('reset() forgets the window', async () => {
    const emulator = await start({ rateLimit: { requestsPerSecond: 1 }, now: () => 5000 });
    expect((await legacyGrant(emulator)).status).toBe(200);
    expect((await legacyGrant(emulator)).status).toBe(429);
    emulator.reset();
    expect((await legacyGrant(emulator)).status).toBe(200);
  });

  it('validates requestsPerSecond', async () => {
    await expect(startEmulator({ rateLimit: { requestsPerSecond: 0 } })).rejects.toThrow(
      /requestsPerSecond/,
    );
    const emulator = await start();
    expect(() => emulator.setRateLimit({ requestsPerSecond: 1.5 })).toThrow(/requestsPerSecond/);
  });
});
