/**
 * The client and user an emulator accepts when `clients` / `users` are not given. The values
 * come from GoTo's documented Direct Login example (keys, names).
 */
export const EMULATOR_DEFAULTS = {
  clientId: 'goto-emulator-client',
  clientSecret: 'goto-emulator-secret',
  userId: 'agent@example.com',
  password: 'emulator-password',
  organizerKey: '8439885694023999999',
  accountKey: '9999982253621659654',
  firstName: 'Mahar',
  lastName: 'Singh',
} as const;
