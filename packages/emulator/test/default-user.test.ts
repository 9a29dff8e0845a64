import { describe, expect, it } from 'vitest';
import { EMULATOR_DEFAULT_USER, EMULATOR_DEFAULTS } from '../src/index.js';
import { closedAfterEach, me, oauthToken } from './helpers.js';

const start = closedAfterEach();
const ANN = { userId: 'ann', password: 'pw-ann' };

describe('EMULATOR_DEFAULT_USER', () => {
  it('is the user of EMULATOR_DEFAULTS, frozen, token list too', () => {
    const { clientId, clientSecret, personalAccessToken, ...user } = EMULATOR_DEFAULTS;
    expect(EMULATOR_DEFAULT_USER).toEqual({ ...user, personalAccessTokens: [personalAccessToken] });
    expect(Object.isFrozen(EMULATOR_DEFAULT_USER)).toBe(true);
    expect(Object.isFrozen(EMULATOR_DEFAULT_USER.personalAccessTokens)).toBe(true);
  });

  it('listed beside other users, signs in with its password and its personal access token', async () => {
    const emulator = await start({ users: [EMULATOR_DEFAULT_USER, ANN] });
    const password = await oauthToken(emulator, {
      grant_type: 'password',
      username: EMULATOR_DEFAULTS.userId,
      password: EMULATOR_DEFAULTS.password,
    });
    expect(password.status).toBe(200);
    const { access_token } = (await password.json()) as { access_token: string };
    const profile = (await (await me(emulator, access_token)).json()) as Record<string, unknown>;
    expect(profile).toMatchObject({
      organizerKey: EMULATOR_DEFAULTS.organizerKey,
      accountKey: EMULATOR_DEFAULTS.accountKey,
      firstName: EMULATOR_DEFAULTS.firstName,
      lastName: EMULATOR_DEFAULTS.lastName,
    });
    const pat = await oauthToken(emulator, {
      grant_type: 'personal_access_token',
      pat: EMULATOR_DEFAULTS.personalAccessToken,
    });
    expect(pat.status).toBe(200);
    expect(await pat.json()).toMatchObject({ principal: EMULATOR_DEFAULTS.userId });
  });
});
