/**
 * The signed state cookie of "sign in with GoTo", over HTTP against the emulator: attributes,
 * signature, expiry on the client's clock, state binding, and no code exchange unless the
 * cookie holds.
 */
import { inspect } from 'node:util';
import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import { describe, expect, it } from 'vitest';
import { rejection } from '../../../tools/test-support/src/index.ts';
import {
  createSignInFlow,
  type GoToAuthError,
  type GoToOAuth,
  type SignInFlow,
} from '../src/index.js';
import {
  ANN,
  attributes,
  BOB,
  browse,
  client,
  exchanges,
  REDIRECT_URI,
  setup,
} from './sign-in-support.js';

describe('start', () => {
  it('returns the authorization URL and an HttpOnly, SameSite=Lax cookie on the callback path', async () => {
    const { oauth } = await setup();
    const flow = createSignInFlow(oauth);
    const { url, setCookie } = await flow.start({ scope: 'identity:scim.me' });
    const query = new URL(url).searchParams;
    expect(query.get('scope')).toBe('identity:scim.me');
    expect(query.get('redirect_uri')).toBe(REDIRECT_URI);
    expect(query.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(setCookie).toMatch(/^goto_auth_state=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43};/);
    expect(attributes(setCookie).sort()).toEqual(
      ['HttpOnly', 'Max-Age=600', 'Path=/auth/goto/callback', 'SameSite=Lax'].sort(),
    );
    expect(flow.secure).toBe(false);
    expect(flow.callbackPath).toBe('/auth/goto/callback');
    expect(flow.cookieName).toBe('goto_auth_state');
    // The state is in the cookie, but never readable as the raw authorization value alone.
    expect(setCookie).not.toContain(`=${query.get('state')};`);
  });

  it('marks the cookie Secure for an https:// redirect URI, with the options given', async () => {
    const { oauth } = await setup({ redirectUri: 'https://app.example.com/signin/done' });
    const flow = createSignInFlow(oauth, { cookieName: 'signin', maxAgeSeconds: 120 });
    const { setCookie } = await flow.start();
    expect(setCookie.startsWith('signin=')).toBe(true);
    expect(attributes(setCookie).sort()).toEqual(
      ['HttpOnly', 'Max-Age=120', 'Path=/signin/done', 'SameSite=Lax', 'Secure'].sort(),
    );
    expect(flow.secure).toBe(true);
    expect(attributes(flow.clearCookie).sort()).toEqual(
      ['HttpOnly', 'Max-Age=0', 'Path=/signin/done', 'SameSite=Lax', 'Secure'].sort(),
    );
    expect(flow.clearCookie.startsWith('signin=;')).toBe(true);
  });

  it('leaves Secure out on every loopback host name', async () => {
    for (const host of ['localhost:8080', '[::1]:3000', '127.0.0.2']) {
      const { oauth } = await setup({ redirectUri: `http://${host}/cb` });
      const { setCookie } = await createSignInFlow(oauth).start();
      expect(attributes(setCookie)).not.toContain('Secure');
    }
  });

  it('passes a state of the caller through, and signs a fresh one each time otherwise', async () => {
    const { oauth } = await setup();
    const flow = createSignInFlow(oauth);
    const mine = await flow.start({ state: 'my-own-state' });
    expect(new URL(mine.url).searchParams.get('state')).toBe('my-own-state');
    const [a, b] = await Promise.all([flow.start(), flow.start()]);
    expect(a?.setCookie).not.toBe(b?.setCookie);
  });
});

describe('finish', () => {
  it('signs the user in, returns where to go and how to clear the cookie', async () => {
    const { emu, oauth } = await setup();
    const flow = createSignInFlow(oauth);
    const { callback, cookie } = await browse(flow);
    const result = await flow.finish(callback, `other=1; ${cookie}; more=2`);
    expect(result.principal).toBe(ANN.email);
    expect(result.token.accessToken).toEqual(expect.any(String));
    expect(result.returnTo).toBe('/');
    expect(result.clearCookie).toBe(flow.clearCookie);
    expect(result.clearCookie).toMatch(/^goto_auth_state=; .*Max-Age=0/);
    expect(exchanges(emu)).toBe(1);
    expect((await oauth.getToken(ANN.email)).accessToken).toBe(result.token.accessToken);
  });

  it('accepts the callback as a path with its query', async () => {
    const { oauth } = await setup();
    const flow = createSignInFlow(oauth);
    const { callback, cookie } = await browse(flow, BOB);
    const url = new URL(callback);
    const { principal } = await flow.finish(`${url.pathname}${url.search}`, cookie);
    expect(principal).toBe(BOB.email);
  });

  it('carries a local returnTo through the cookie, and drops one that leaves the origin', async () => {
    const { oauth } = await setup();
    const flow = createSignInFlow(oauth, { returnTo: '/home' });
    const kept = await browse(flow, ANN, 'approve', { returnTo: '/account?tab=goto#top' });
    expect((await flow.finish(kept.callback, kept.cookie)).returnTo).toBe('/account?tab=goto#top');
    for (const returnTo of [
      '//evil.example',
      '/\\evil.example',
      'https://evil.example/',
      '/\t/evil.example',
      'evil',
      '',
      `/${'a'.repeat(2048)}`,
    ]) {
      const dropped = await browse(flow, ANN, 'approve', { returnTo });
      expect((await flow.finish(dropped.callback, dropped.cookie)).returnTo).toBe('/home');
    }
  });

  it('refuses a missing cookie with STATE_MISMATCH and sends no request', async () => {
    const { emu, oauth } = await setup();
    const flow = createSignInFlow(oauth);
    const { callback } = await browse(flow);
    for (const header of [undefined, '', 'goto_auth_statex=1', 'other=1']) {
      const error = (await rejection(flow.finish(callback, header))) as GoToAuthError;
      expect(error.code).toBe('STATE_MISMATCH');
      expect(error.message).toMatch(/No sign-in cookie/);
    }
    expect(exchanges(emu)).toBe(0);
    expect(emu.counters.authorizationCodeGrants).toBe(0);
  });

  it('refuses a tampered cookie, in any part, without an exchange', async () => {
    const { emu, oauth } = await setup();
    const flow = createSignInFlow(oauth);
    const { callback, cookie } = await browse(flow);
    const value = cookie.slice('goto_auth_state='.length);
    const [body = '', mac = ''] = value.split('.');
    const flip = (text: string, at: number) =>
      text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    const longer = Buffer.from(JSON.stringify({ ...payload, e: payload.e + 3_600_000 })).toString(
      'base64url',
    );
    for (const forged of [
      `${flip(body, 5)}.${mac}`,
      `${body}.${flip(mac, 10)}`,
      `${longer}.${mac}`,
      `${body}.`,
      body,
      `${body}.${mac}.x`,
      `${body}.${mac.slice(0, -2)}`,
      '',
    ]) {
      const error = (await rejection(
        flow.finish(callback, `goto_auth_state=${forged}`),
      )) as GoToAuthError;
      expect(error.code).toBe('STATE_MISMATCH');
      expect(error.message).toMatch(/not valid/);
      expect(error.message).not.toContain(forged || 'unused');
    }
    expect(exchanges(emu)).toBe(0);
    // The genuine cookie still works.
    expect((await flow.finish(callback, cookie)).principal).toBe(ANN.email);
  });

  it('refuses a cookie signed with another key or made for another cookie name', async () => {
    const { emu, oauth } = await setup();
    const flow = createSignInFlow(oauth);
    const other = createSignInFlow(oauth, { secret: 'x'.repeat(32) });
    const renamed = createSignInFlow(oauth, { cookieName: 'another' });
    const theirs = await browse(other);
    const error = (await rejection(flow.finish(theirs.callback, theirs.cookie))) as GoToAuthError;
    expect(error.code).toBe('STATE_MISMATCH');
    const elsewhere = await browse(renamed);
    const moved = elsewhere.cookie.replace(/^another=/, 'goto_auth_state=');
    expect(((await rejection(flow.finish(elsewhere.callback, moved))) as GoToAuthError).code).toBe(
      'STATE_MISMATCH',
    );
    expect(exchanges(emu)).toBe(0);
  });

  it('refuses an expired cookie on the client clock, and accepts it a moment before', async () => {
    const { clock, emu, oauth } = await setup();
    const flow = createSignInFlow(oauth, { maxAgeSeconds: 60 });
    const late = await browse(flow);
    const onTime = await browse(flow, BOB);
    clock.advance(59_999);
    expect((await flow.finish(onTime.callback, onTime.cookie)).principal).toBe(BOB.email);
    clock.advance(1);
    const error = (await rejection(flow.finish(late.callback, late.cookie))) as GoToAuthError;
    expect(error.code).toBe('STATE_MISMATCH');
    expect(error.message).toMatch(/expired/);
    expect(exchanges(emu)).toBe(1);
  });

  it("refuses another sign-in's cookie (a different state) without an exchange", async () => {
    const { emu, oauth } = await setup();
    const flow = createSignInFlow(oauth);
    const first = await browse(flow);
    const second = await browse(flow, BOB);
    const error = (await rejection(flow.finish(first.callback, second.cookie))) as GoToAuthError;
    expect(error.code).toBe('STATE_MISMATCH');
    expect(error.message).toMatch(/not this sign-in's/);
    const stripped = new URL(first.callback);
    stripped.searchParams.delete('state');
    expect(
      ((await rejection(flow.finish(stripped.href, first.cookie))) as GoToAuthError).code,
    ).toBe('STATE_MISMATCH');
    expect(exchanges(emu)).toBe(0);
  });

  it('picks the matching cookie when the browser sends several of that name', async () => {
    const { oauth } = await setup();
    const flow = createSignInFlow(oauth);
    const stale = await browse(flow, BOB);
    const current = await browse(flow);
    const header = `goto_auth_state=junk; ${stale.cookie}; ${current.cookie}`;
    expect((await flow.finish(current.callback, header)).principal).toBe(ANN.email);
  });

  it('refuses a replayed callback: GoTo refuses the spent code (INVALID_CALLBACK)', async () => {
    const { emu, oauth } = await setup();
    const flow = createSignInFlow(oauth);
    const { callback, cookie } = await browse(flow);
    await flow.finish(callback, cookie);
    const error = (await rejection(flow.finish(callback, cookie))) as GoToAuthError;
    expect(error.code).toBe('INVALID_CALLBACK');
    expect(exchanges(emu)).toBe(2);
  });

  it('reports a refused consent as ACCESS_DENIED once the cookie holds', async () => {
    const { emu, oauth } = await setup();
    const flow = createSignInFlow(oauth);
    const { callback, cookie } = await browse(flow, ANN, 'deny');
    expect(((await rejection(flow.finish(callback, cookie))) as GoToAuthError).code).toBe(
      'ACCESS_DENIED',
    );
    expect(((await rejection(flow.finish(callback, undefined))) as GoToAuthError).code).toBe(
      'STATE_MISMATCH',
    );
    expect(exchanges(emu)).toBe(0);
  });
});

describe('keys', () => {
  it('derives the same key from the same client in every process, and another from another secret', async () => {
    const { clock, emu, oauth } = await setup();
    const twin = client(emu, clock);
    const stranger = client(emu, clock, { clientSecret: 'another-client-secret' });
    const started = await browse(createSignInFlow(oauth));
    const other = await browse(createSignInFlow(oauth));
    expect(
      (
        (await rejection(
          createSignInFlow(stranger).finish(other.callback, other.cookie),
        )) as GoToAuthError
      ).code,
    ).toBe('STATE_MISMATCH');
    expect((await createSignInFlow(twin).finish(started.callback, started.cookie)).principal).toBe(
      ANN.email,
    );
  });

  it('takes an explicit secret of 32+ characters or bytes, shared by every flow that has it', async () => {
    const { oauth } = await setup();
    const bytes = new Uint8Array(32).fill(7);
    const started = await browse(createSignInFlow(oauth, { secret: bytes }));
    const { principal } = await createSignInFlow(oauth, {
      secret: new Uint8Array(32).fill(7),
    }).finish(started.callback, started.cookie);
    expect(principal).toBe(ANN.email);
    // Not the key derived from the client secret.
    const again = await browse(createSignInFlow(oauth, { secret: bytes }));
    expect(
      (
        (await rejection(
          createSignInFlow(oauth).finish(again.callback, again.cookie),
        )) as GoToAuthError
      ).code,
    ).toBe('STATE_MISMATCH');
  });
});

describe('options and secrets', () => {
  it('refuses unusable options with INVALID_OPTIONS, never quoting the secret', async () => {
    const { oauth } = await setup();
    const cases: Array<[Parameters<typeof createSignInFlow>[1], RegExp]> = [
      [{ secret: 'short-secret-value' }, /"secret"/],
      [{ secret: new Uint8Array(31) }, /"secret"/],
      [{ cookieName: 'bad name' }, /"cookieName"/],
      [{ cookieName: 'a;b' }, /"cookieName"/],
      [{ maxAgeSeconds: 0 }, /"maxAgeSeconds"/],
      [{ maxAgeSeconds: 1.5 }, /"maxAgeSeconds"/],
      [{ maxAgeSeconds: 86_401 }, /"maxAgeSeconds"/],
      [{ returnTo: 'https://evil.example' }, /"returnTo"/],
      [{ returnTo: '//evil.example' }, /"returnTo"/],
    ];
    for (const [options, message] of cases) {
      let thrown: unknown;
      try {
        createSignInFlow(oauth, options);
      } catch (error) {
        thrown = error;
      }
      expect((thrown as GoToAuthError).code).toBe('INVALID_OPTIONS');
      expect((thrown as GoToAuthError).message).toMatch(message);
      expect((thrown as GoToAuthError).message).not.toContain('short-secret-value');
    }
    expect(() => createSignInFlow(oauth, { maxAgeSeconds: 86_400 })).not.toThrow();
  });

  it('refuses an object that is not a GoToOAuth from createGoToOAuth', () => {
    const fake = { authorizationUrl: () => ({ url: '', state: '' }) } as unknown as GoToOAuth;
    expect(() => createSignInFlow(fake)).toThrow(/createGoToOAuth/);
  });

  it('shows no secret, state or cookie in inspect or JSON', async () => {
    const { oauth } = await setup();
    const secret = 'the-explicit-sign-in-secret-0123456789';
    const flows = [createSignInFlow(oauth), createSignInFlow(oauth, { secret })];
    const { cookie } = await browse(flows[1] as SignInFlow);
    for (const flow of flows) {
      const texts = [
        inspect(flow, { depth: 5, showHidden: true }),
        JSON.stringify(flow),
        inspect(oauth),
      ];
      for (const text of texts) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(EMULATOR_DEFAULTS.clientSecret);
        expect(text).not.toContain(cookie.split('=')[1]);
      }
      expect(JSON.parse(JSON.stringify(flow))).toEqual({
        cookieName: 'goto_auth_state',
        callbackPath: '/auth/goto/callback',
        secure: false,
        maxAgeSeconds: 600,
      });
    }
  });
});
