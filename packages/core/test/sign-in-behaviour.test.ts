/**
 * Details of the sign-in flow a browser, an attacker or a careless caller can run into: how
 * the cookie value is encoded and read back (base64url without padding, quotes and white space
 * around it), the bounds of the options, the cookie's path for an unusual redirect URI, the
 * key made from an explicit secret, and what `inspect` shows.
 */
import { inspect } from 'node:util';
import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import { describe, expect, it, vi } from 'vitest';
import { followAuthorization, rejection } from '../../../tools/test-support/src/index.ts';
import {
  createSignInFlow,
  type GoToAuthError,
  type GoToOAuth,
  type SignInFlow,
  type SignInFlowOptions,
} from '../src/index.js';
import {
  ANN,
  attributes,
  browse,
  cookieOf,
  encode,
  exchanges,
  setup,
  signedWith,
} from './sign-in-support.js';

const NAME = 'goto_auth_state';

async function refusal(promise: Promise<unknown>): Promise<GoToAuthError> {
  return (await rejection(promise)) as GoToAuthError;
}

function thrownBy(make: () => unknown): GoToAuthError {
  try {
    make();
  } catch (error) {
    return error as GoToAuthError;
  }
  throw new Error('expected an error');
}

describe('the cookie value on the wire', () => {
  it('is base64url without padding for every payload length, and each one signs in', async () => {
    const { emu, oauth } = await setup();
    const flow = createSignInFlow(oauth);
    // Three state lengths in a row give the three remainders of the payload's length by 3,
    // so one of them needs padding in plain base64.
    for (const state of ['s'.repeat(40), 's'.repeat(41), 's'.repeat(42)]) {
      const { callback, setCookie, value } = await browse(flow, ANN, 'approve', { state });
      expect(value, state).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
      const result = await flow.finish(callback, cookieOf(setCookie));
      expect(result.principal).toBe(ANN.email);
    }
    expect(exchanges(emu)).toBe(3);
  });

  it('refuses a signature written with padding or white space inside, without an exchange', async () => {
    const { emu, oauth } = await setup();
    const flow = createSignInFlow(oauth);
    const { callback, value } = await browse(flow);
    const [body = '', mac = ''] = value.split('.');
    for (const forged of [
      `${body}.${mac}=`,
      `${body}.${mac}==`,
      `${body}.${mac.slice(0, 20)} ${mac.slice(20)}`,
      `${body}.${mac.slice(0, 20)}\t${mac.slice(20)}`,
    ]) {
      const error = await refusal(flow.finish(callback, `${NAME}=${forged}`));
      expect(error.code, forged).toBe('STATE_MISMATCH');
      expect(error.message, forged).toMatch(/not valid/);
    }
    expect(exchanges(emu)).toBe(0);
    expect((await flow.finish(callback, `${NAME}=${value}`)).principal).toBe(ANN.email);
  });

  it('reads a value with white space around it, as browsers may send it', async () => {
    const { emu, oauth } = await setup();
    const flow = createSignInFlow(oauth);
    const { callback, value } = await browse(flow);
    const result = await flow.finish(callback, `a=1;${NAME}=  ${value}  ;b=2`);
    expect(result.principal).toBe(ANN.email);
    expect(exchanges(emu)).toBe(1);
  });

  it('takes off a pair of double quotes only, never a lone quote at one end', async () => {
    const { emu, oauth } = await setup();
    const flow = createSignInFlow(oauth);
    const { callback, value } = await browse(flow);
    for (const sent of [`x${value}"`, `"${value}x`, `${value}"`, `"${value}`]) {
      const error = await refusal(flow.finish(callback, `${NAME}=${sent}`));
      expect(error.code, sent).toBe('STATE_MISMATCH');
      expect(error.message, sent).toMatch(/not valid/);
    }
    expect(exchanges(emu)).toBe(0);
    expect((await flow.finish(callback, `${NAME}="${value}"`)).principal).toBe(ANN.email);
  });
});

describe('the cookie attributes', () => {
  it('scopes the cookie to the callback path, or to the whole origin when it cannot be a cookie Path', async () => {
    const { oauth } = await setup({ redirectUri: 'http://127.0.0.1:3000/auth/goto-2/call_back' });
    expect(attributes((await createSignInFlow(oauth).start()).setCookie)).toContain(
      'Path=/auth/goto-2/call_back',
    );
    for (const redirectUri of [
      'http://127.0.0.1:3000/auth;v=2/callback',
      'http://127.0.0.1:3000/auth/goto,callback',
    ]) {
      const { emu, oauth } = await setup({ redirectUri });
      const flow = createSignInFlow(oauth);
      expect(flow.callbackPath).toBe(new URL(redirectUri).pathname);
      const { callback, setCookie } = await browse(flow);
      expect(attributes(setCookie).sort(), redirectUri).toEqual(
        ['HttpOnly', 'Max-Age=600', 'Path=/', 'SameSite=Lax'].sort(),
      );
      expect(attributes(flow.clearCookie)).toContain('Path=/');
      expect(new URL(callback).pathname).toBe(flow.callbackPath);
      expect((await flow.finish(callback, cookieOf(setCookie))).principal).toBe(ANN.email);
      expect(exchanges(emu)).toBe(1);
    }
  });

  it('takes a lifetime of one second: Max-Age=1, refused on the client clock one second later', async () => {
    const { clock, emu, oauth } = await setup();
    const flow = createSignInFlow(oauth, { maxAgeSeconds: 1 });
    const onTime = await browse(flow);
    const late = await browse(flow);
    expect(attributes(onTime.setCookie)).toContain('Max-Age=1');
    clock.advance(999);
    expect((await flow.finish(onTime.callback, cookieOf(onTime.setCookie))).principal).toBe(
      ANN.email,
    );
    clock.advance(1);
    const error = await refusal(flow.finish(late.callback, cookieOf(late.setCookie)));
    expect(error.code).toBe('STATE_MISMATCH');
    expect(error.message).toMatch(/expired/);
    expect(exchanges(emu)).toBe(1);
  });
});

describe('returnTo', () => {
  it('keeps a local path of exactly 2048 characters, from start() and as the default', async () => {
    const { oauth } = await setup();
    const longest = `/${'a'.repeat(2047)}`;
    const flow = createSignInFlow(oauth, { returnTo: longest });
    const given = await browse(flow, ANN, 'approve', { returnTo: `/${'b'.repeat(2047)}` });
    expect((await flow.finish(given.callback, cookieOf(given.setCookie))).returnTo).toBe(
      `/${'b'.repeat(2047)}`,
    );
    const fallback = await browse(flow, ANN, 'approve', { returnTo: `/${'b'.repeat(2048)}` });
    expect((await flow.finish(fallback.callback, cookieOf(fallback.setCookie))).returnTo).toBe(
      longest,
    );
    expect(thrownBy(() => createSignInFlow(oauth, { returnTo: `${longest}a` })).code).toBe(
      'INVALID_OPTIONS',
    );
  });
});

describe('a returnTo beyond ASCII', () => {
  it('comes back percent-encoded, ready for a Location header; % escapes stay as they were', async () => {
    const { oauth } = await setup();
    const flow = createSignInFlow(oauth, { returnTo: '/café' });
    const given = await browse(flow, ANN, 'approve', { returnTo: '/日本?q=é%20&x=🙂#ü' });
    const { returnTo } = await flow.finish(given.callback, cookieOf(given.setCookie));
    expect(returnTo).toBe('/%E6%97%A5%E6%9C%AC?q=%C3%A9%20&x=%F0%9F%99%82#%C3%BC');
    // A header value this is: Headers refuses what HTTP cannot carry.
    expect(new Headers({ location: returnTo }).get('location')).toBe(returnTo);
    const fallback = await browse(flow);
    expect((await flow.finish(fallback.callback, cookieOf(fallback.setCookie))).returnTo).toBe(
      '/caf%C3%A9',
    );
  });

  it('falls back to the default for a returnTo that is not a string', async () => {
    const { oauth } = await setup();
    const flow = createSignInFlow(oauth, { returnTo: '/home' });
    // A query parser may give an array (`?returnTo=/a` read by a qs-style parser as ['/a']).
    const given = await browse(flow, ANN, 'approve', { returnTo: ['/a'] as unknown as string });
    expect((await flow.finish(given.callback, cookieOf(given.setCookie))).returnTo).toBe('/home');
  });

  it('falls back to the default for a lone surrogate, or when encoded it is over 2048 characters', async () => {
    const { oauth } = await setup();
    const flow = createSignInFlow(oauth, { returnTo: '/home' });
    // Each three-byte character is nine once encoded (%XX%XX%XX): 1 + 9 * 228 = 2053.
    for (const returnTo of ['/a\uD800b', `/${'日'.repeat(228)}`]) {
      const given = await browse(flow, ANN, 'approve', { returnTo });
      expect((await flow.finish(given.callback, cookieOf(given.setCookie))).returnTo).toBe('/home');
    }
    const longest = `/${'日'.repeat(227)}aaaa`; // 1 + 9 * 227 + 4 = 2048
    const kept = await browse(flow, ANN, 'approve', { returnTo: longest });
    expect((await flow.finish(kept.callback, cookieOf(kept.setCookie))).returnTo).toHaveLength(
      2048,
    );
    expect(thrownBy(() => createSignInFlow(oauth, { returnTo: '/\uDC00' })).code).toBe(
      'INVALID_OPTIONS',
    );
  });
});

describe('the key derived from the client secret', () => {
  it('is HKDF-SHA256 with the documented salt and info, so cookies outlive an upgrade', async () => {
    const { hkdfSync } = await import('node:crypto');
    const { clock, oauth } = await setup();
    const flow = createSignInFlow(oauth);
    const { url } = await flow.start({ params: { auto: 'approve', login_hint: ANN.userId } });
    const state = new URL(url).searchParams.get('state') ?? '';
    const callback = await followAuthorization(url);
    const key = new Uint8Array(
      hkdfSync(
        'sha256',
        EMULATOR_DEFAULTS.clientSecret,
        'goto-auth sign-in state',
        `goto-auth sign-in state cookie v1\n${EMULATOR_DEFAULTS.clientId}`,
        32,
      ),
    );
    const body = encode(JSON.stringify({ v: 1, s: state, e: clock.now() + 60_000, r: '/k' }));
    const cookie = `${NAME}=${await signedWith(key, body)}`;
    expect((await flow.finish(callback, cookie)).returnTo).toBe('/k');
  });
});

describe('an explicit secret', () => {
  it('is the HMAC key itself, as bytes or as the UTF-8 of a string', async () => {
    const { emu, clock, oauth } = await setup();
    // Bytes that are not UTF-8 text, and a string with characters beyond ASCII.
    const bytes = Uint8Array.from({ length: 40 }, (_, i) => (i * 37 + 200) % 256);
    const text = 'clé-de-signature-é-ü-ß-0123456789abcdef';
    const { url } = await createSignInFlow(oauth).start({
      params: { auto: 'approve', login_hint: ANN.userId },
    });
    const state = new URL(url).searchParams.get('state') ?? '';
    const callback = await followAuthorization(url);
    const body = encode(JSON.stringify({ v: 1, s: state, e: clock.now() + 60_000, r: '/k' }));
    // A cookie the test signs with the bytes is one the flow with those bytes signed.
    const byBytes = createSignInFlow(oauth, { secret: bytes });
    const cookie = `${NAME}=${await signedWith(Uint8Array.from(bytes), body)}`;
    expect((await byBytes.finish(callback, cookie)).returnTo).toBe('/k');
    expect(exchanges(emu)).toBe(1);
    // A string and its UTF-8 bytes are the same key.
    const started = await browse(createSignInFlow(oauth, { secret: text }));
    const sameKey = createSignInFlow(oauth, { secret: new TextEncoder().encode(text) });
    expect((await sameKey.finish(started.callback, cookieOf(started.setCookie))).principal).toBe(
      ANN.email,
    );
  });

  it('is kept only as a key that cannot be exported', async () => {
    const { oauth } = await setup();
    // The keys Web Crypto hands out while the flow is made are the only ones it can hold.
    const imports = vi.spyOn(crypto.subtle, 'importKey');
    let flow: SignInFlow;
    let made: Array<Promise<CryptoKey>>;
    try {
      flow = createSignInFlow(oauth, { secret: 'an-explicit-sign-in-secret-0123456789' });
      made = imports.mock.results.map((result) => result.value as Promise<CryptoKey>);
    } finally {
      imports.mockRestore();
    }
    expect(made).toHaveLength(1);
    const started = await browse(flow);
    expect((await flow.finish(started.callback, cookieOf(started.setCookie))).principal).toBe(
      ANN.email,
    );
    for (const key of await Promise.all(made)) {
      expect(key.extractable).toBe(false);
      await expect(crypto.subtle.exportKey('raw', key)).rejects.toThrow();
    }
  });

  it('must be a string or a Uint8Array: any other value is refused as unusable', async () => {
    const { oauth } = await setup();
    const others: unknown[] = [
      new ArrayBuffer(64),
      Array.from({ length: 64 }, () => 7),
      { length: 64 },
      64,
    ];
    for (const secret of others) {
      const error = thrownBy(() =>
        createSignInFlow(oauth, { secret } as unknown as SignInFlowOptions),
      );
      expect(error.code).toBe('INVALID_OPTIONS');
      expect(error.message).toMatch(/"secret"/);
    }
  });
});

describe('unusable arguments', () => {
  it('refuses a missing GoToOAuth with INVALID_OPTIONS', () => {
    for (const oauth of [undefined, null]) {
      const error = thrownBy(() => createSignInFlow(oauth as unknown as GoToOAuth));
      expect(error.code).toBe('INVALID_OPTIONS');
      expect(error.message).toMatch(/createGoToOAuth/);
    }
  });

  it('refuses a cookie name that is not a string, even one that reads as a token', async () => {
    const { oauth } = await setup();
    for (const cookieName of [42, ['state'], { toString: () => 'state' }]) {
      const error = thrownBy(() =>
        createSignInFlow(oauth, { cookieName } as unknown as SignInFlowOptions),
      );
      expect(error.code).toBe('INVALID_OPTIONS');
      expect(error.message).toMatch(/"cookieName"/);
    }
  });
});

describe('inspect', () => {
  it('shows the flow as SignInFlow with its public settings only', async () => {
    const { oauth } = await setup({ redirectUri: 'https://app.example.com/signin/done' });
    const flow = createSignInFlow(oauth, { cookieName: 'signin', maxAgeSeconds: 120 });
    expect(inspect(flow)).toBe(
      'SignInFlow {"cookieName":"signin","callbackPath":"/signin/done","secure":true,"maxAgeSeconds":120}',
    );
    expect(inspect({ flow })).toContain('SignInFlow {');
  });
});
