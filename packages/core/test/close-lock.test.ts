/**
 * A store lock granted after close() is handed back at once and reported nowhere.
 */
import { describe, expect, it } from 'vitest';
import {
  createGoToAuth,
  type GoToAuthEvent,
  MemoryTokenStore,
  type TokenStore,
} from '../src/index.js';
import { settle, until } from './helpers.js';

describe('a lock granted after close()', () => {
  it('is released at once, with no lock event and no request', async () => {
    const inner = new MemoryTokenStore();
    let grant: (() => void) | undefined;
    let released = 0;
    const store: TokenStore = {
      get: (key) => inner.get(key),
      set: (key, token, ttl, expected) => inner.set(key, token, ttl, expected),
      delete: (key) => inner.delete(key),
      lock: (key, ttl) =>
        new Promise((resolve) => {
          grant = () =>
            void inner.lock(key, ttl).then((lock) =>
              resolve(
                lock && {
                  release: () => {
                    released++;
                    return lock.release();
                  },
                },
              ),
            );
        }),
    };
    const events: GoToAuthEvent[] = [];
    let requests = 0;
    const auth = createGoToAuth({
      clientId: 'client',
      userId: 'user',
      password: 'password',
      logger: false,
      store,
      onEvent: (event) => events.push(event),
      fetch: (async () => {
        requests++;
        return Response.json({ access_token: 'access', expires_in: 600 });
      }) as unknown as typeof fetch,
    });
    const waiting = auth.getToken().catch((e: unknown) => e);
    await until(() => grant !== undefined);
    const closing = auth.close();
    expect(await waiting).toMatchObject({ code: 'CLOSED' });
    grant?.();
    await closing;
    await settle(5);
    expect(events).toEqual([]);
    expect(released).toBe(1);
    expect(requests).toBe(0);
  });
});
