/**
 * ky for many users: `oauth.forPrincipal(principal)` is a token source, so `goToKy` and
 * `goToAuthHooks` call GoTo as that user, and a rejected token is refreshed for that user only.
 */
import { createGoToOAuth, type GoToOAuth } from '@goto-auth/core';
import { EMULATOR_DEFAULTS, type GoToEmulator } from '@goto-auth/emulator';
import { onCleanup } from '@goto-auth/test-support';
import ky from 'ky';
import { describe, expect, it } from 'vitest';
import { goToAuthHooks, goToKy } from '../src/index.js';
import { emulator } from './helpers.js';

const REDIRECT_URI = 'http://127.0.0.1:3000/auth/callback';
const ANN = { userId: 'ann', password: 'pw-ann', email: 'ann@example.com' };
const BOB = { userId: 'bob', password: 'pw-bob', email: 'bob@example.com' };
const ME = 'identity/v1/Users/me';

interface ScimMe {
  userName: string;
}

function oauthFor(emu: GoToEmulator): GoToOAuth {
  const oauth = createGoToOAuth({
    clientId: EMULATOR_DEFAULTS.clientId,
    clientSecret: EMULATOR_DEFAULTS.clientSecret,
    redirectUri: REDIRECT_URI,
    baseUrl: emu.url,
    minGrantInterval: 0,
    logger: false,
  });
  onCleanup(() => oauth.close());
  return oauth;
}

async function signIn(oauth: GoToOAuth, user: { userId: string }): Promise<string> {
  const { url, state } = oauth.authorizationUrl({
    params: { auto: 'approve', login_hint: user.userId },
  });
  const res = await fetch(url, { redirect: 'manual' });
  return (await oauth.handleCallback(res.headers.get('location') ?? '', { state })).principal;
}

describe('ky per principal', () => {
  it('goToKy(oauth.forPrincipal(p)) calls GoTo as that user, and recovers from a revoked token with one refresh', async () => {
    const emu = await emulator({ users: [ANN, BOB] });
    const oauth = oauthFor(emu);
    const ann = await signIn(oauth, ANN);
    const bob = await signIn(oauth, BOB);
    const asAnn = goToKy(oauth.forPrincipal(ann));
    const asBob = goToKy(oauth.forPrincipal(bob));

    expect((await asAnn.get(ME).json<ScimMe>()).userName).toBe(ANN.email);
    expect((await asBob.get(ME).json<ScimMe>()).userName).toBe(BOB.email);
    const before = (await oauth.getToken(ann)).accessToken;

    emu.revokeAll();
    const calls = emu.counters.identityCalls;
    expect((await asAnn.get(ME).json<ScimMe>()).userName).toBe(ANN.email);
    // The 401, then the retry with a fresh token: one refresh, for Ann only.
    expect(emu.counters.identityCalls - calls).toBe(2);
    expect(emu.counters.refreshGrants).toBe(1);
    expect((await oauth.getToken(ann)).accessToken).not.toBe(before);
    expect(oauth.cachedToken(bob)).toBeDefined();
  });

  it('goToAuthHooks(oauth.forPrincipal(p)) calls GoTo as that user, and recovers from a revoked token with one refresh', async () => {
    const emu = await emulator({ users: [ANN, BOB] });
    const oauth = oauthFor(emu);
    const ann = await signIn(oauth, ANN);
    const bob = await signIn(oauth, BOB);
    const client = (principal: string) =>
      ky.create({ prefix: oauth.baseUrl, hooks: goToAuthHooks(oauth.forPrincipal(principal)) });

    expect((await client(ann).get(ME).json<ScimMe>()).userName).toBe(ANN.email);
    expect((await client(bob).get(ME).json<ScimMe>()).userName).toBe(BOB.email);

    emu.revokeAll();
    const calls = emu.counters.identityCalls;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => client(bob).get(ME).json<ScimMe>()),
    );
    expect(results.every((me) => me.userName === BOB.email)).toBe(true);
    // 20 rejected, 20 retried; one refresh serves them all.
    expect(emu.counters.identityCalls - calls).toBe(40);
    expect(emu.counters.refreshGrants).toBe(1);
  });
});
