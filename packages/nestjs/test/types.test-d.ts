import type { GoToOAuth } from '@goto-auth/core';
import type { DynamicModule } from '@nestjs/common';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type GoToAuth,
  GoToAuthModule,
  type GoToAuthModuleAsyncOptions,
  type GoToAuthModuleOptions,
  GoToAuthService,
  GoToOAuthModule,
  type GoToOAuthModuleAsyncOptions,
  GoToOAuthService,
  type GoToSignedIn,
  type GoToToken,
  getGoToAuthServiceToken,
  getGoToAuthToken,
  InjectGoToAuth,
  type SignInFlow,
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

  it('GoToOAuthModule: forRoot, forRootAsync, routes typed by the platform', () => {
    interface PlatformRequest {
      session: { principal?: string };
    }
    interface PlatformResponse {
      header(name: string, value: string): void;
    }
    expectTypeOf(GoToOAuthModule.forRoot).returns.toEqualTypeOf<DynamicModule>();
    GoToOAuthModule.forRoot({
      clientId: 'x',
      clientSecret: 's',
      redirectUri: 'https://app.example.com/auth/goto/callback',
      signIn: { cookieName: 'signin', maxAgeSeconds: 300 },
      routes: {
        path: 'auth/goto',
        onSignIn: (req: PlatformRequest, _res: PlatformResponse, signedIn) => {
          expectTypeOf(signedIn).toEqualTypeOf<GoToSignedIn>();
          req.session.principal = signedIn.principal;
        },
        authorization: (req) => {
          expectTypeOf(req).toEqualTypeOf<PlatformRequest>();
          return { scope: ['identity:scim.me'] };
        },
      },
    });
    // Without annotations the platform objects are unknown, never any.
    GoToOAuthModule.forRoot({
      clientId: 'x',
      clientSecret: 's',
      redirectUri: 'https://app.example.com/cb',
      routes: {
        path: 'auth/goto',
        onSignIn: (req, res) => {
          expectTypeOf(req).toEqualTypeOf<unknown>();
          expectTypeOf(res).toEqualTypeOf<unknown>();
        },
      },
    });
    expectTypeOf<GoToOAuthModuleAsyncOptions>().toExtend<{ isGlobal?: boolean }>();
    GoToOAuthModule.forRootAsync({
      useFactory: () => ({ clientId: 'x', clientSecret: 's', redirectUri: 'https://a.example/cb' }),
    });
    // Never called: these throw at run time too.
    const wrong = () => {
      // @ts-expect-error: the redirect URI is required
      GoToOAuthModule.forRoot({ clientId: 'x', clientSecret: 's' });
      GoToOAuthModule.forRoot({
        clientId: 'x',
        clientSecret: 's',
        redirectUri: 'https://a.example/cb',
        // @ts-expect-error: routes need onSignIn
        routes: { path: 'a' },
      });
      GoToOAuthModule.forRoot({
        clientId: 'x',
        clientSecret: 's',
        redirectUri: 'https://a.example/cb',
        routes: {
          path: 'a',
          onSignIn: () => {},
          // @ts-expect-error: the state is the flow's own
          authorization: { state: 's' },
        },
      });
    };
    expectTypeOf(wrong).toBeFunction();
  });

  it('GoToOAuthService', () => {
    expectTypeOf<GoToOAuthService['getToken']>().parameter(0).toEqualTypeOf<string>();
    expectTypeOf<GoToOAuthService['getToken']>().returns.toEqualTypeOf<Promise<GoToToken>>();
    expectTypeOf<GoToOAuthService['oauth']>().toEqualTypeOf<GoToOAuth>();
    expectTypeOf<GoToOAuthService['flow']>().toEqualTypeOf<SignInFlow>();
    expectTypeOf<GoToOAuthService['signOut']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<GoToOAuthService['forPrincipal']>().returns.toEqualTypeOf<GoToAuth>();
  });
});
