/**
 * Which refresh token a refresh uses when the store has none: this object's own.
 */
import { describe, expect, it } from 'vitest';
import { createGoToAuth, type TokenStore } from '../src/index.js';
import { ManualClock } from './helpers.js';

describe('a refresh with an empty store', () => {
  it("uses this object's own refresh token", async () => {
    const clock = new ManualClock();
    const grants: (string | null)[] = [];
    const forgetful: TokenStore = {
      get: async () => undefined,
      set: async () => 1,
      delete: async () => {},
      lock: async () => ({ release: async () => {} }),
    };
    const auth = createGoToAuth({
      clientId: 'client',
      clientSecret: 'secret',
      userId: 'user',
      password: 'password',
      logger: false,
      store: forgetful,
      now: clock.now,
      timers: { setTimeout: () => 0, clearTimeout: () => {} },
      fetch: (async (_url: string, init: RequestInit) => {
        const body = new URLSearchParams(String(init.body));
        grants.push(`${body.get('grant_type')} ${body.get('refresh_token') ?? ''}`.trim());
        return Response.json({
          access_token: `access-${grants.length}`,
          refresh_token: `refresh-${grants.length}`,
          expires_in: 600,
        });
      }) as unknown as typeof fetch,
    });
    await auth.getToken();
    clock.advance(600_000);
    await auth.getToken();
    expect(grants).toEqual(['password', 'refresh_token refresh-1']);
  });
});
