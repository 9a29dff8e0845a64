import { describe, expectTypeOf, it } from 'vitest';
import {
  EMULATOR_DEFAULT_SCOPES,
  EMULATOR_DEFAULTS,
  type EmulatorClient,
  type EmulatorCounters,
  type EmulatorOptions,
  type EmulatorRateLimit,
  type EmulatorRequestLogEntry,
  type EmulatorUser,
  type GoToEmulator,
  startEmulator,
} from '../src/index.js';

describe('types', () => {
  it('types the options of the authentication host', () => {
    expectTypeOf<EmulatorOptions['rotateRefreshTokens']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<EmulatorOptions['rateLimit']>().toEqualTypeOf<
      boolean | EmulatorRateLimit | undefined
    >();
    expectTypeOf<EmulatorOptions['authenticationHost']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<EmulatorClient['redirectUris']>().toEqualTypeOf<string[] | undefined>();
    expectTypeOf<EmulatorUser['personalAccessTokens']>().toEqualTypeOf<string[] | undefined>();
    expectTypeOf(startEmulator).parameter(0).toEqualTypeOf<EmulatorOptions | undefined>();
    // @ts-expect-error rateLimit takes a boolean or { requestsPerSecond }
    startEmulator({ rateLimit: 10 });
  });

  it('types the running emulator', () => {
    expectTypeOf<GoToEmulator['authUrl']>().toEqualTypeOf<string>();
    expectTypeOf<GoToEmulator['setRateLimit']>().toEqualTypeOf<
      (rateLimit: boolean | EmulatorRateLimit) => void
    >();
    expectTypeOf<EmulatorCounters['authorizationCodeGrants']>().toEqualTypeOf<number>();
    expectTypeOf<EmulatorRequestLogEntry['host']>().toEqualTypeOf<
      'api' | 'authentication' | undefined
    >();
    expectTypeOf(EMULATOR_DEFAULTS.personalAccessToken).toEqualTypeOf<'goto-emulator-pat'>();
    expectTypeOf(EMULATOR_DEFAULT_SCOPES).toEqualTypeOf<readonly string[]>();
  });
});
