import type { EmulatorUser } from './types.js';

/**
 * The client and user an emulator accepts when `clients` / `users` are not given. The values
 * come from GoTo's documented Direct Login example (keys, names).
 */
export const EMULATOR_DEFAULTS = {
  /** The default client's Consumer Key (`client_id`). */
  clientId: 'goto-emulator-client',
  /** The default client's secret (HTTP Basic on `/oauth/v2/token`). */
  clientSecret: 'goto-emulator-secret',
  /** The default user's login id. */
  userId: 'agent@example.com',
  /** The default user's password. */
  password: 'emulator-password',
  /** The default user's personal access token (`grant_type=personal_access_token&pat=…`). */
  personalAccessToken: 'goto-emulator-pat',
  /** The default user's organizer key (19 digits, beyond 2^53). */
  organizerKey: '8439885694023999999',
  /** The default user's account key (19 digits). */
  accountKey: '9999982253621659654',
  /** The default user's first name. */
  firstName: 'Mahar',
  /** The default user's last name. */
  lastName: 'Singh',
} as const;

/**
 * The scopes a client has when `EmulatorClient.scopes` is not given: SCIM's "me" and the
 * two of GoTo's refresh-token example.
 */
export const EMULATOR_DEFAULT_SCOPES: readonly string[] = Object.freeze([
  'identity:scim.me',
  'users.v1.lines.read',
  'calls.v2.initiate',
]);

/**
 * The user an emulator accepts when `users` is not given: {@link EMULATOR_DEFAULTS}' login id,
 * password, keys and name, with its personal access token. Put it in `users` beside your own
 * users to keep it. Frozen, its token list too.
 */
export const EMULATOR_DEFAULT_USER: Readonly<EmulatorUser> = Object.freeze({
  userId: EMULATOR_DEFAULTS.userId,
  password: EMULATOR_DEFAULTS.password,
  organizerKey: EMULATOR_DEFAULTS.organizerKey,
  accountKey: EMULATOR_DEFAULTS.accountKey,
  firstName: EMULATOR_DEFAULTS.firstName,
  lastName: EMULATOR_DEFAULTS.lastName,
  // Frozen at run time; typed as EmulatorUser's list so it goes in `users` as it is.
  personalAccessTokens: Object.freeze([EMULATOR_DEFAULTS.personalAccessToken]) as string[],
});
