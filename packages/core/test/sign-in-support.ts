/**
 * What the sign-in tests share: a redirect URI, users for the emulator, an OAuth client on a
 * manual clock, a browser's reading of `Set-Cookie`, a sign-in followed through the emulator's
 * consent, and a cookie signed as the flow signs one.
 */
import type { GoToEmulator } from '@goto-auth/emulator';
import { followAuthorization, oauthClientOnClock } from '../../../tools/test-support/src/index.ts';
import type { GoToOAuthOptions, SignInFlow, SignInStartOptions } from '../src/index.js';
import { emulator, ManualClock } from './helpers.js';

export const REDIRECT_URI = 'http://127.0.0.1:3000/auth/goto/callback';
export const ANN = { userId: 'ann', password: 'pw-ann', email: 'ann@example.com' };
export const BOB = { userId: 'bob', password: 'pw-bob', email: 'bob@example.com' };

/** The emulator (with Ann and Bob) and an OAuth client, both on one manual clock. */
export async function setup(options: Partial<GoToOAuthOptions> = {}) {
  const clock = new ManualClock();
  const emu = await emulator({ now: clock.now, users: [ANN, BOB] });
  const oauth = client(emu, clock, options);
  return { clock, emu, oauth };
}

/** An OAuth client on the test's clock, with {@link REDIRECT_URI}. */
export const client = (
  emu: GoToEmulator,
  clock: ManualClock,
  options: Partial<GoToOAuthOptions> = {},
) => oauthClientOnClock(emu, clock, { redirectUri: REDIRECT_URI, ...options });

/** The `Cookie` header a browser sends back for a `Set-Cookie` value. */
export function cookieOf(setCookie: string): string {
  return setCookie.split(';')[0] ?? '';
}

/** The value of the cookie a `Set-Cookie` sets. */
export function cookieValue(setCookie: string): string {
  const cookie = cookieOf(setCookie);
  return cookie.slice(cookie.indexOf('=') + 1);
}

/** The attributes of a `Set-Cookie` value, trimmed. */
export function attributes(setCookie: string): string[] {
  return setCookie
    .split(';')
    .slice(1)
    .map((part) => part.trim());
}

/** Starts a sign-in and follows it through the emulator's consent, as a browser would. */
export async function browse(
  flow: SignInFlow,
  user: { userId: string } = ANN,
  decision: 'approve' | 'deny' = 'approve',
  options: SignInStartOptions = {},
) {
  const { url, setCookie } = await flow.start({
    ...options,
    params: { auto: decision, login_hint: user.userId },
  });
  return {
    callback: await followAuthorization(url),
    setCookie,
    cookie: cookieOf(setCookie),
    value: cookieValue(setCookie),
  };
}

/** How many requests reached the emulator's token endpoint. */
export function exchanges(emu: GoToEmulator): number {
  return emu.requests.filter((r) => r.path === '/oauth/token').length;
}

/** `text` as base64url, as the flow encodes the cookie's body. */
export const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** A cookie value signed with `key` as the flow signs one: HMAC-SHA256 over `name=body`. */
export async function signedWith(
  key: Uint8Array<ArrayBuffer>,
  body: string,
  name = 'goto_auth_state',
): Promise<string> {
  const hmac = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const mac = await crypto.subtle.sign('HMAC', hmac, new TextEncoder().encode(`${name}=${body}`));
  return `${body}.${Buffer.from(mac).toString('base64url')}`;
}
