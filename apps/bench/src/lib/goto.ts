import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';

/** The emulator's default client and user: what every scenario logs in with. */
export const CREDENTIALS = {
  clientId: EMULATOR_DEFAULTS.clientId,
  clientSecret: EMULATOR_DEFAULTS.clientSecret,
  userId: EMULATOR_DEFAULTS.userId,
  password: EMULATOR_DEFAULTS.password,
} as const;

export const ME_PATH = '/admin/rest/v1/me';

let issued = 0;

/** A token response in GoTo's documented shape: string `expires_in`, no `token_type`, blanks. */
export function goToTokenBody(ttlSeconds = 3600): Record<string, string> {
  issued++;
  return {
    access_token: `access-${issued}-${'x'.repeat(16)}`,
    expires_in: String(ttlSeconds),
    refresh_token: `refresh-${issued}-${'y'.repeat(16)}`,
    organizer_key: EMULATOR_DEFAULTS.organizerKey,
    account_key: EMULATOR_DEFAULTS.accountKey,
    account_type: '',
    firstName: EMULATOR_DEFAULTS.firstName,
    lastName: EMULATOR_DEFAULTS.lastName,
    email: '',
    platform: 'GLOBAL',
    version: '2',
  };
}

/**
 * A `fetch` that answers every request with a fresh GoTo-shaped token and no I/O, for figures
 * where the wire is not what is measured.
 */
export function fakeGoToFetch(ttlSeconds = 3600): typeof fetch {
  return async () =>
    new Response(JSON.stringify(goToTokenBody(ttlSeconds)), {
      status: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    });
}
