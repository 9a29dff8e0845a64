/**
 * Details of `createGoToOAuth` against the emulator: what a failed callback says (bounded,
 * scrubbed), the exchange's events, and principals that have no session.
 */
// @ts-nocheck

import { EMULATOR_DEFAULTS, type GoToEmulator } from '@goto-auth/emulator';
import { describe, expect, it } from 'vitest';
import {
  oauthClientOnClock as client,
  consent,
  rejection,
  signIn,
} from '../../../tools/test-support/src/index.ts';
import type { GoToAuthEvent, TokenStore } from '../src/index.js';
import { emulator, ManualClock } from './helpers.js';

const ANN = { userId: 'ann', password: 'pw-ann', email: 'ann@example.com' };

async function start(): Promise<{ clock: ManualClock; emu: GoToEmulator }> {
  const clock = new ManualClock();
  return { clock, emu: await emulator({ now: clock.now, users: [ANN] }) };
}

const tokenRequests = (emu: GoToEmulator) => emu.requests.filter((r) => r.path === '/oauth/token');

describe('a callback that carries an error', () => {
  it('quotes at most 64 characters of the error and 200 of its description', async () => {
    const { clock, emu } = await start();
    const oauth = client(emu, clock);
    const error = `e${'x'.repeat(99)}`;
    const description = `d${'y'.repeat(299)}`;
    const failed = await rejection(
      oauth.handleCallback(`/cb?state=s&error=${error}&error_description=${description}`, {
        state: 's',
      }),
    );
    expect(failed.code).toBe('INVALID_CALLBACK');
    expect(failed.oauthError).toBe(error.slice(0, 64));
    expect(failed.message).toBe(
      `GoTo ended the sign-in with "${error.slice(0, 64)}": ${description.slice(0, 200)}.`,
    );
    const bare = await rejection(
      oauth.handleCallback('/cb?state=s&error=temporarily_unavailable', { state: 's' }),
    );
    expect(bare.message).toBe('GoTo ended the sign-in with "temporarily_unavailable".');
    expect(tokenRequests(emu)).toHaveLength(0);
  });

  it('says why a refused consent ended, with and without a description', async () => {
    const { clock, emu } = await start();
    const oauth = client(emu, clock);
    const said = await rejection(
      oauth.handleCallback('/cb?state=s&error=access_denied&error_description=no+thanks', {
        state: 's',
      }),
    );
    expect(said).toMatchObject({ code: 'ACCESS_DENIED', oauthError: 'access_denied' });
    expect(said.message).toBe('The user refused the sign-in (access_denied): no thanks.');
    const silent = await rejection(
      oauth.handleCallback('/cb?state=s&error=access_denied', { state: 's' }),
    );
    expect(silent.message).toBe('The user refused the sign-in (access_denied).');
  });

  it('never repeats the client secret that a callback echoes', async () => {
    const { clock, emu } = await start();
    const oauth = client(emu, clock);
    const secret = EMULATOR_DEFAULTS.clientSecret;
    const failed = await rejection(
      oauth.handleCallback(
        `/cb?state=s&error=${encodeURIComponent(secret)}&error_description=${encodeURIComponent(`bad ${secret}`)}`,
        { state: 's' },
      ),
    );
    expect(failed.code).toBe('INVALID_CALLBACK');
    expect(failed.message).not.toContain(secret);
    expect(String(failed.oauthError)).not.toContain(secret);
  });

  it('refuses an empty code as a missing one', async () => {
    const { clock, emu } = await start();
    const oauth = client(emu, clock);
    const failed = await rejection(oauth.handleCallback('/cb?state=s&code=', { state: 's' }));
    expect(failed).toMatchObject({ code: 'INVALID_CALLBACK' });
    expect(failed.message).toMatch(/no authorization code/);
    expect(tokenRequests(emu)).toHaveLength(0);
  });
});

describe('the exchange', () => {
  it('reports one request event per exchange, a success and a failure', async () => {
    const { clock, emu } = await start();
    const events: GoToAuthEvent[] = [];
    const oauth = client(emu, clock, { onEvent: (event) => events.push(event) });
    const startedAt = clock.now();
    await signIn(oauth, ANN);
    const { callback, state } = await consent(oauth, ANN);
    emu.fault({ type: 'status', status: 503 }, { times: 1 });
    await rejection(oauth.handleCallback(callback, { state }));
    const requests = events.filter((e) => e.type === 'request');
    expect(requests).toEqual([
      expect.objectContaining({
        grant: 'authorization_code',
        outcome: 'success',
        status: 200,
        startedAt,
        durationMs: 0,
      }),
      expect.objectContaining({
        grant: 'authorization_code',
        outcome: 'failure',
        code: 'SERVER_ERROR',
        status: 503,
        startedAt,
        durationMs: 0,
      }),
    ]);
    expect(requests[0]?.code).toBeUndefined();
  });

  it('lets an authorizationUrl param change neither the client, the redirect URI nor the state', async () => {
    const { clock, emu } = await start();
    const oauth = client(emu, clock);
    const { url, state } = oauth.authorizationUrl({
      scope: '',
      params: {
        client_id: 'other',
        redirect_uri: 'https://evil.example/cb',
        state: 'theirs',
        response_type: 'token',
        login_hint: 'ann',
      },
    });
    const query = new URL(url).searchParams;
    expect(query.get('client_id')).toBe(EMULATOR_DEFAULTS.clientId);
    expect(query.get('redirect_uri')).not.toBe('https://evil.example/cb');
    expect(query.get('state')).toBe(state);
    expect(query.get('response_type')).toBe('code');
    expect(query.get('login_hint')).toBe('ann');
    expect(query.has('scope')).toBe(false);
    expect(new URL(oauth.authorizationUrl({ scope: [] }).url).searchParams.has('scope')).toBe(
      false,
    );
    for (const bad of ['', 42]) {
      expect(() => oauth.authorizationUrl({ state: bad })).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTIONS' }),
      );
    }
  });
});

describe('principals without a session', () => {
  it('answers status, cachedToken and invalidate without I/O, and empty or closed', async () => {
    const { clock, emu } = await start();
    const oauth = client(emu, clock);
    expect(oauth.status('nobody')).toEqual({
      state: 'empty',
      serving: false,
      token: undefined,
      refreshAt: undefined,
      lastRefreshAt: undefined,
      lastError: undefined,
    });
    expect(oauth.cachedToken('nobody')).toBeUndefined();
    expect(oauth.invalidate('nobody', 'some-token')).toBe(false);
    await oauth.close();
    expect(oauth.status('nobody').state).toBe('closed');
    expect(emu.requests).toHaveLength(0);
  });

  it('refuses an empty principal with LOGIN_REQUIRED, and anything after close with CLOSED', async () => {
    const { clock, emu } = await start();
    const oauth = client(emu, clock);
    expect(await rejection(oauth.getToken(''))).toMatchObject({ code: 'LOGIN_REQUIRED' });
    expect(await rejection(oauth.signOut(''))).toMatchObject({ code: 'LOGIN_REQUIRED' });
    expect(() => oauth.forPrincipal('')).toThrow(
      expect.objectContaining({ code: 'LOGIN_REQUIRED' }),
    );
    const view = oauth.forPrincipal('someone');
    expect(view.baseUrl).toBe(oauth.baseUrl);
    expect(view.closed).toBe(false);
    await view.close();
    expect(oauth.closed).toBe(false);
    await oauth.close();
    expect(view.closed).toBe(true);
    expect(await rejection(oauth.getToken('someone'))).toMatchObject({ code: 'CLOSED' });
    expect(await rejection(oauth.signOut('someone'))).toMatchObject({ code: 'CLOSED' });
    await oauth.close();
    expect(emu.requests).toHaveLength(0);
  });

  it('reports a store that fails on sign-out as STORE_ERROR, naming the failure', async () => {
    const { clock, emu } = await start();
    const store: TokenStore = {
      get: async () => undefined,
      set: async () => {},
      delete: async () => {
        throw new TypeError('store is down');
      },
      lock: async () => ({ acquired: true, release: async () => {} }),
    } as unknown as TokenStore;
    const oauth = client(emu, clock, { store });
    const failed = await rejection(oauth.signOut('ann@example.com'));
    expect(failed.code).toBe('STORE_ERROR');
    expect(failed.message).toBe('The token store failed on delete (TypeError: store is down).');
  });
});
