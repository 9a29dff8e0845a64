import { describe, expect, it } from 'vitest';
import { RedisTokenStore } from '../src/index.ts';
import { monitorCommands } from './support/monitor.ts';
import { auth, emulator, onCleanup, redisClient, redisServer } from './support/setup.ts';

describe('Redis commands sent by the manager', () => {
  it('sends none for 1,000 cached getToken() calls, and six per refresh (the lock renewed before the grant)', async () => {
    const server = await redisServer();
    const monitor = await monitorCommands(server.port);
    onCleanup(() => monitor.close());
    const emu = await emulator({ accessTokenTtlSeconds: 2 });
    const store = new RedisTokenStore({ client: redisClient(server) });
    const goto = auth(emu, { store, refreshMargin: 500 });

    const start = await monitor.mark();
    const first = await goto.getToken();
    const started = await monitor.mark();

    for (let i = 0; i < 1000; i++) {
      const token = await goto.getToken();
      if (token !== first) throw new Error('the cached token changed');
    }
    const cached = await monitor.mark();
    expect(monitor.between(started, cached)).toEqual([]);

    // The scheduled refresh, 1.5 s after the grant (lifetime 2 s, margin 0.5 s).
    const refreshed = new Promise<void>((resolve) => {
      goto.on('token', (event) => {
        if (event.reason === 'scheduled') resolve();
      });
    });
    await refreshed;
    const afterRefresh = await monitor.mark();
    const refresh = monitor.between(cached, afterRefresh).map((command) => command[0]);
    // get, lock (SET NX PX), get again under the lock, the set script, the release script.
    expect(refresh).toEqual(['hmget', 'set', 'hmget', 'evalsha', 'evalsha', 'evalsha']);
    expect(emu.counters.refreshGrants).toBe(1);

    const initial = monitor.between(start, started).map((command) => command[0]);
    console.log(
      `[hot path] Redis commands: 1,000 cached getToken() = ${monitor.between(started, cached).length}, first token = ${initial.length} (${initial.join(' ')}), refresh = ${refresh.length} (${refresh.join(' ')})`,
    );
  });
});
