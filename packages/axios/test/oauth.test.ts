/**
 * axios for many users: `attachGoToAuth(instance, oauth.forPrincipal(principal))` calls GoTo as
 * that user, and a rejected token is refreshed for that user, once, and the call retried.
 */
import { emulator, oauthClient, signIn as signInWith } from '@goto-auth/test-support';
import axios from 'axios';
import { expect, it } from 'vitest';
import { attachGoToAuth } from '../src/index.js';

const ANN = { userId: 'ann', password: 'pw-ann', email: 'ann@example.com' };
const BOB = { userId: 'bob', password: 'pw-bob', email: 'bob@example.com' };

it('attachGoToAuth(instance, oauth.forPrincipal(p)) calls GoTo as that user, and recovers from a revoked token with one refresh', async () => {
  const emu = await emulator({ users: [ANN, BOB] });
  const oauth = oauthClient(emu);
  const signIn = async (userId: string) => (await signInWith(oauth, { userId })).principal;
  const ann = await signIn(ANN.userId);
  const bob = await signIn(BOB.userId);
  const asUser = (principal: string) => {
    const instance = axios.create({ baseURL: oauth.baseUrl });
    attachGoToAuth(instance, oauth.forPrincipal(principal));
    return instance;
  };

  const me = async (principal: string) =>
    (await asUser(principal).get<{ userName: string }>('/identity/v1/Users/me')).data.userName;
  expect(await me(ann)).toBe(ANN.email);
  expect(await me(bob)).toBe(BOB.email);

  emu.revokeAll();
  const calls = emu.counters.identityCalls;
  expect(await me(bob)).toBe(BOB.email);
  expect(emu.counters.identityCalls - calls).toBe(2);
  expect(emu.counters.refreshGrants).toBe(1);
});
