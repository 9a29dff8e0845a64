/**
 * The content of the sign-in state cookie, with cookies signed by the test itself (the flow's
 * explicit `secret`): a valid signature over content that is not a sign-in's is still refused,
 * a return path that leaves the origin is dropped, quoted values and the size bound.
 */
import { describe, expect, it } from 'vitest';
import { rejection } from '../../../tools/test-support/src/index.ts';
import { createSignInFlow, type GoToAuthError, type SignInFlow } from '../src/index.js';
import { ANN, encode, exchanges, setup as setupClient, signedWith } from './sign-in-support.js';

const SECRET = 'a-sign-in-secret-the-test-also-knows-0123';

async function setup() {
  const { clock, emu, oauth } = await setupClient();
  const flow = createSignInFlow(oauth, { secret: SECRET, returnTo: '/home' });
  return { clock, emu, oauth, flow };
}

/** A cookie value signed as the flow signs one, with the flow's secret. */
const signed = (body: string, name?: string) =>
  signedWith(new TextEncoder().encode(SECRET), body, name);

/** A callback for `state` with a code GoTo never issued: refused by GoTo if it gets that far. */
const callbackFor = (state: string) =>
  `/auth/goto/callback?code=never-issued&state=${encodeURIComponent(state)}`;

async function refusal(flow: SignInFlow, callback: string, cookie: string) {
  return (await rejection(flow.finish(callback, cookie))) as GoToAuthError;
}

describe('signed cookie content', () => {
  it('takes a well-formed cookie the test signed (the signing matches the flow)', async () => {
    const { clock, emu, flow } = await setup();
    const body = encode(JSON.stringify({ v: 1, s: 'st', e: clock.now() + 1000, r: '/next' }));
    const error = await refusal(flow, callbackFor('st'), `goto_auth_state=${await signed(body)}`);
    // Past the cookie: the code went to GoTo, which refused it.
    expect(error.code).toBe('INVALID_CALLBACK');
    expect(exchanges(emu)).toBe(1);
  });

  it('refuses a validly signed cookie whose content is not a sign-in state, without an exchange', async () => {
    const { clock, emu, flow } = await setup();
    const later = clock.now() + 60_000;
    const bodies = [
      encode(JSON.stringify({ v: 2, s: 'st', e: later, r: '/' })),
      encode(JSON.stringify({ s: 'st', e: later, r: '/' })),
      encode(JSON.stringify({ v: 1, s: '', e: later, r: '/' })),
      encode(JSON.stringify({ v: 1, s: 7, e: later, r: '/' })),
      encode(JSON.stringify({ v: 1, s: 'st', e: String(later), r: '/' })),
      encode(JSON.stringify({ v: 1, s: 'st', r: '/' })),
      encode('null'),
      encode('"st"'),
      encode('{not json'),
      'not base64url!',
    ];
    for (const body of bodies) {
      const error = await refusal(flow, callbackFor('st'), `goto_auth_state=${await signed(body)}`);
      expect(error.code, body).toBe('STATE_MISMATCH');
      expect(error.message, body).toMatch(/not valid/);
    }
    expect(exchanges(emu)).toBe(0);
  });

  it('replaces a signed return path that leaves the origin with the default', async () => {
    const { clock, emu, flow } = await setup();
    const later = clock.now() + 60_000;
    // The code is refused by GoTo, so read returnTo through a sign-in that works: sign the
    // real state with each return path.
    const { url, setCookie } = await flow.start({ params: { auto: 'approve', login_hint: 'ann' } });
    const state = new URL(url).searchParams.get('state') ?? '';
    expect(setCookie.startsWith('goto_auth_state=')).toBe(true);
    const returned: unknown[] = [];
    for (const r of ['//evil.example', 'https://evil.example/', 42, undefined, '/fine']) {
      const { url: again } = await flow.start({
        state,
        params: { auto: 'approve', login_hint: 'ann' },
      });
      const res = await fetch(again, { redirect: 'manual' });
      const callback = res.headers.get('location') ?? '';
      const body = encode(JSON.stringify({ v: 1, s: state, e: later, r }));
      const result = await flow.finish(callback, `goto_auth_state=${await signed(body)}`);
      returned.push(result.returnTo);
    }
    expect(returned).toEqual(['/home', '/home', '/home', '/home', '/fine']);
    expect(exchanges(emu)).toBe(5);
  });

  it('reads a cookie value sent in double quotes', async () => {
    const { emu, flow } = await setup();
    const { url, setCookie } = await flow.start({ params: { auto: 'approve', login_hint: 'ann' } });
    const callback = (await fetch(url, { redirect: 'manual' })).headers.get('location') ?? '';
    const value = setCookie.split(';')[0]?.slice('goto_auth_state='.length);
    const result = await flow.finish(callback, `goto_auth_state="${value}"`);
    expect(result.principal).toBe(ANN.email);
    expect(exchanges(emu)).toBe(1);
  });

  it('ignores a cookie part without "=" even when it starts with the name', async () => {
    const { flow } = await setup();
    for (const header of ['goto_auth_stateX', 'goto_auth_state', ' goto_auth_state ; a=1']) {
      const error = await refusal(flow, callbackFor('st'), header);
      expect(error.code).toBe('STATE_MISMATCH');
      expect(error.message, header).toMatch(/No sign-in cookie/);
    }
  });

  it('takes a cookie of up to 4096 characters and refuses a longer one, even if signed', async () => {
    const { emu, flow } = await setup();
    // A long state of the caller's makes a long cookie: find the state for each length.
    const lengthFor = async (state: string) =>
      ((await flow.start({ state })).setCookie.split(';')[0] ?? '').length -
      'goto_auth_state='.length;
    let state = 'a'.repeat(2900);
    while ((await lengthFor(state)) < 4096) state += 'a';
    const exact = await flow.start({ state });
    expect(await lengthFor(state)).toBe(4096);
    const atLimit = await refusal(flow, callbackFor(state), exact.setCookie.split(';')[0] ?? '');
    expect(atLimit.code).toBe('INVALID_CALLBACK');
    expect(exchanges(emu)).toBe(1);
    let longer = state;
    while ((await lengthFor(longer)) <= 4096) longer += 'a';
    const over = await flow.start({ state: longer });
    const error = await refusal(flow, callbackFor(longer), over.setCookie.split(';')[0] ?? '');
    expect(error.code).toBe('STATE_MISMATCH');
    expect(error.message).toMatch(/not valid/);
    expect(exchanges(emu)).toBe(1);
  });
});
