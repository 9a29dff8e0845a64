import type { DynamicModule } from '@nestjs/common';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type GoToAuth,
  GoToAuthModule,
  type GoToAuthModuleAsyncOptions,
  type GoToAuthModuleOptions,
  GoToAuthService,
  type GoToToken,
  getGoToAuthServiceToken,
  getGoToAuthToken,
  InjectGoToAuth,
} from '../src/index.js';

describe('public types', () => {
  it('forRoot and forRootAsync', () => {
    expectTypeOf(GoToAuthModule.forRoot).returns.toEqualTypeOf<DynamicModule>();
    expectTypeOf(GoToAuthModule.forRoot)
      .parameter(0)
      .toExtend<{ clientId: string; name?: string; isGlobal?: boolean; warmUp?: boolean }>();
    expectTypeOf<GoToAuthModuleAsyncOptions>().toExtend<{
      name?: string;
      isGlobal?: boolean;
    }>();
    expectTypeOf<GoToAuthModuleOptions['failOnWarmUpError']>().toEqualTypeOf<boolean | undefined>();

    // Either credential types; which one is given is checked when the auth object is made.
    expectTypeOf(GoToAuthModule.forRoot).toBeCallableWith({
      clientId: 'x',
      clientSecret: 's',
      personalAccessToken: 'pat',
    });
    expectTypeOf(GoToAuthModule.forRoot).toBeCallableWith({
      clientId: 'x',
      userId: 'u',
      password: 'p',
    });
    // @ts-expect-error: the client id is required
    GoToAuthModule.forRoot({ userId: 'u', password: 'p' });
    // @ts-expect-error: warmUp is a boolean
    GoToAuthModule.forRoot({ clientId: 'x', userId: 'u', password: 'p', warmUp: 'yes' });
    // @ts-expect-error: the factory must return options
    GoToAuthModule.forRootAsync({ useFactory: () => ({ warmUp: false }) });
  });

  it('service and tokens', () => {
    expectTypeOf<GoToAuthService['getToken']>().returns.toEqualTypeOf<Promise<GoToToken>>();
    expectTypeOf<GoToAuthService['auth']>().toEqualTypeOf<GoToAuth>();
    expectTypeOf<GoToAuthService['invalidate']>().returns.toEqualTypeOf<boolean>();
    expectTypeOf(getGoToAuthToken).returns.toEqualTypeOf<string>();
    expectTypeOf(getGoToAuthServiceToken).returns.toEqualTypeOf<string | typeof GoToAuthService>();
    expectTypeOf(InjectGoToAuth()).toEqualTypeOf<PropertyDecorator & ParameterDecorator>();
  });
});
