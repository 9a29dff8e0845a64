import { createGoToAuth } from '@goto-auth/core';
import { startEmulator } from '@goto-auth/emulator';
import { RedisTokenStore } from '@goto-auth/redis';
import type { RedisServer } from '@goto-auth/test-support/redis';
import { Redis } from 'ioredis';
import { CREDENTIALS } from './lib/goto.ts';
import {
  commandDelta,
  describeCommands,
  monitorCommands,
  parseCommandStats,
  sentCount,
  total,
} from './lib/redis.ts';
import type { Section } from './lib/report.ts';

const CACHED_CALLS = 1000;

/**
 * Figure 2: Redis commands sent by `RedisTokenStore` per 1,000 cached `getToken()` calls, at the
 * first token, per scheduled refresh and per refresh after `invalidate()`: seen with MONITOR
 * (windows bounded by ECHO markers), cross-checked with `INFO commandstats` deltas.
 */
export async function storeCost(redis: RedisServer): Promise<Section> {
  // A 2 s token: margin = a quarter of the lifetime, so the scheduled refresh comes at 1.5 s.
  const emulator = await startEmulator({ accessTokenTtlSeconds: 2 });
  const admin = new Redis({ port: redis.port, lazyConnect: true });
  const client = new Redis({ port: redis.port, lazyConnect: true });
  await Promise.all([admin.connect(), client.connect()]);
  const store = new RedisTokenStore({ client, keyPrefix: 'bench-store-cost:' });
  const auth = createGoToAuth({
    ...CREDENTIALS,
    baseUrl: emulator.url,
    store,
    minGrantInterval: 100,
    logger: false,
  });
  const monitor = await monitorCommands(redis.port);
  const snapshot = async () => parseCommandStats(await admin.info('commandstats'));
  try {
    const m0 = await monitor.mark();
    const token = await auth.getToken();
    const m1 = await monitor.mark();
    const beforeCached = await snapshot();
    let changed = 0;
    for (let i = 0; i < CACHED_CALLS; i++) {
      if ((await auth.getToken()) !== token) changed++;
    }
    const afterCached = await snapshot();
    const m2 = await monitor.mark();

    const scheduled = new Promise<void>((resolve) => {
      const off = auth.on('token', (event) => {
        if (event.reason === 'scheduled') {
          off();
          resolve();
        }
      });
    });
    await scheduled;
    const m3 = await monitor.mark();

    const current = await auth.getToken();
    auth.invalidate(current.accessToken);
    await auth.getToken();
    const m4 = await monitor.mark();

    const first = monitor.between(m0, m1);
    const cached = monitor.between(m1, m2);
    // Executed commands, scripts' included; ECHO markers are not in this window.
    const cachedStats = total(commandDelta(beforeCached, afterCached));
    const refresh = monitor.between(m2, m3);
    const rejected = monitor.between(m3, m4);
    const grants = emulator.counters.passwordGrants + emulator.counters.refreshGrants;

    return {
      id: 2,
      title: 'Shared store cost: Redis commands',
      how:
        '`RedisTokenStore` (ioredis 6) on a `redis-server` of our own, the emulator with a 2 s ' +
        'token (refreshed 1.5 s after its grant). Commands the client sent, seen with MONITOR ' +
        'between ECHO markers; the cached window is cross-checked with `INFO commandstats` ' +
        '(which also counts what scripts run).',
      peers: [],
      rows: [
        {
          figure: `Redis commands per ${CACHED_CALLS.toLocaleString('en-US')} cached getToken()`,
          ours: `${sentCount(cached)} (commandstats: ${cachedStats})`,
          target: '0',
          met: cached.length === 0 && cachedStats === 0 && changed === 0,
          kind: 'correctness',
        },
        {
          figure: 'Redis commands per scheduled refresh',
          ours: `${sentCount(refresh)}: ${describeCommands(refresh)}`,
          kind: 'report',
        },
        {
          figure: 'Redis commands per refresh after invalidate()',
          ours: `${sentCount(rejected)}: ${describeCommands(rejected)}`,
          kind: 'report',
        },
        {
          figure: 'Redis commands for the first token (cold start)',
          ours: `${sentCount(first)}: ${describeCommands(first)}`,
          kind: 'report',
        },
      ],
      notes: [
        `Grants made over the run: ${grants} (first token, scheduled refresh, refresh after ` +
          'invalidate). A refresh reads the token, takes the lock (`SET NX PX`), reads again ' +
          'under the lock, writes with a compare-by-`issuedAt` script and releases with a ' +
          'compare-and-delete script (`evalsha`).',
      ],
    };
  } finally {
    await auth.close();
    monitor.close();
    admin.disconnect();
    client.disconnect();
    await emulator.close();
  }
}
