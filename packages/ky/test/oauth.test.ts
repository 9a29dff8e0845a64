/**
 * ky for many users: `oauth.forPrincipal(principal)` is a token source, so `goToKy` and
 * `goToAuthHooks` call GoTo as that user, and a rejected token is refreshed for that user only.
 */
import type { GoToOAuth } from '@goto-auth/core';
import type { GoToEmulator } from '@goto-auth/emulator';
import { oauthClient, signIn as signInWith } from '@goto-auth/test-support';
import ky from 'ky';
import { describe, expect, it } from 'vitest';
import { goToAuthHooks, goToKy } from '../src/index.js';
import { emulator } from './helpers.js';

const ANN = { userId: 'ann', password: 'pw-ann', email: 'ann@example.com' };
const BOB = { userId: 'bob', password: 'pw-bob', email: 'bob@example.com' };
const ME = 'identity/v1/Users/me';

interface ScimMe {
  userName: string;
}

function oauthFor(emu: GoToEmulator): GoToOAuth {
  return oauthClient(emu);
}

/** Signs `user` in on `oauth`; resolves the principal. */
async function signIn(oauth: GoToOAuth, user: { userId: string }): Promise<string> {
  return (await signInWith(oauth, user)).principal;
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
