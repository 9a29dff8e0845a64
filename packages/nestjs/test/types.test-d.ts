import type { GetTokenOptions, GoToAuth, GoToToken } from '@goto-auth/core';
import type { DynamicModule } from '@nestjs/common';
import { describe, expectTypeOf, it } from 'vitest';
import {
  GoToAuthModule,
  type GoToAuthModuleAsyncOptions,
  type GoToAuthModuleOptions,
  GoToAuthService,
  getGoToAuthServiceToken,
  getGoToAuthToken,
  InjectGoToAuth,
} from '../src/index.js';

describe('public types', () => {
  it('registers with forRoot and forRootAsync', () => {
    expectTypeOf(GoToAuthModule.forRoot).returns.toEqualTypeOf<DynamicModule>();
    expectTypeOf(GoToAuthModule.forRootAsync)
      .parameter(0)
      .toEqualTypeOf<GoToAuthModuleAsyncOptions>();
    GoToAuthModule.forRoot({
      clientId: 'c',
      userId: 'u',
      password: 'p',
      isGlobal: true,
      name: 'a',
    });
    GoToAuthModule.forRootAsync({
      useFactory: (): GoToAuthModuleOptions => ({ clientId: 'c', userId: 'u', password: 'p' }),
    });
    expectTypeOf<GoToAuthModuleOptions['warmUp']>().toEqualTypeOf<boolean | undefined>();
    // @ts-expect-error warmUp is a boolean
    GoToAuthModule.forRoot({ clientId: 'c', userId: 'u', password: 'p', warmUp: 'yes' });
  });

  it('serves tokens through GoToAuthService', () => {
    expectTypeOf<GoToAuthService['auth']>().toEqualTypeOf<GoToAuth>();
    expectTypeOf<GoToAuthService['getToken']>().toEqualTypeOf<
      (options?: GetTokenOptions) => Promise<GoToToken>
    >();
    expectTypeOf<GoToAuthService['invalidate']>().returns.toEqualTypeOf<boolean>();
  });

  it('names injection tokens per instance', () => {
    expectTypeOf(getGoToAuthToken('billing')).toEqualTypeOf<string>();
    expectTypeOf(getGoToAuthServiceToken()).toEqualTypeOf<string | typeof GoToAuthService>();
    expectTypeOf(InjectGoToAuth()).toEqualTypeOf<PropertyDecorator & ParameterDecorator>();
  });
});
