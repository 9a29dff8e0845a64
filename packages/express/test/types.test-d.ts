import type { GoToAuth, GoToOAuth, GoToToken, SignInFlow } from '@goto-auth/core';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type GoToAuthMiddlewareOptions,
  type GoToSignedIn,
  type GoToSignInHandler,
  goToAuth,
  goToSignIn,
  goToUser,
} from '../src/index.js';

declare const auth: GoToAuth;
declare const oauth: GoToOAuth;

describe('types', () => {
  it('types req.goto as the GoTo token in handlers after the middleware', () => {
    const app = express();
    app.get('/me', goToAuth(auth), (req, res) => {
      expectTypeOf(req.goto).toEqualTypeOf<GoToToken>();
      expectTypeOf(req.goto.accessToken).toEqualTypeOf<string>();
      expectTypeOf(req.goto.organizerKey).toEqualTypeOf<string | undefined>();
      res.json({ organizerKey: req.goto.organizerKey });
    });
    expectTypeOf<express.Request['goto']>().toEqualTypeOf<GoToToken>();
  });

  it('types the middleware and its options', () => {
    expectTypeOf(goToAuth(auth)).toEqualTypeOf<RequestHandler>();
    expectTypeOf(goToAuth).parameter(1).toEqualTypeOf<GoToAuthMiddlewareOptions | undefined>();
    expectTypeOf<GoToAuthMiddlewareOptions['onError']>().toEqualTypeOf<
      'respond' | 'next' | undefined
    >();
    // @ts-expect-error onError is 'respond' or 'next'
    goToAuth(auth, { onError: 'throw' });
    // @ts-expect-error the token source comes first
    goToAuth({ onError: 'next' });
  });

  it('types goToUser: a principal (or a promise of one) from the request, req.goto after it', () => {
    const app = express();
    app.get(
      '/me',
      goToUser(oauth, (req) => req.get('x-user')),
      (req, res) => {
        expectTypeOf(req.goto).toEqualTypeOf<GoToToken>();
        res.json({ principal: req.goto.principal });
      },
    );
    expectTypeOf(goToUser(oauth, async () => 'ann@example.com')).toEqualTypeOf<RequestHandler>();
    expectTypeOf(goToUser).parameter(2).toEqualTypeOf<GoToAuthMiddlewareOptions | undefined>();
    // @ts-expect-error the principal is a string
    goToUser(oauth, () => 42);
    // @ts-expect-error an OAuth client, not a Direct Login token source
    goToUser(auth, () => 'ann');
  });

  it('types goToSignIn: onSignIn gets Express request, response and the signed-in user', () => {
    const routes = goToSignIn(oauth, {
      onSignIn: (req, res, signedIn) => {
        expectTypeOf(req).toEqualTypeOf<Request>();
        expectTypeOf(res).toEqualTypeOf<Response>();
        expectTypeOf(signedIn).toEqualTypeOf<GoToSignedIn>();
        expectTypeOf(signedIn.principal).toEqualTypeOf<string>();
        expectTypeOf(signedIn.returnTo).toEqualTypeOf<string>();
      },
      authorization: (req) => ({
        scope: ['identity:scim.me'],
        params: { login_hint: req.ip ?? '' },
      }),
    });
    expectTypeOf(routes).toEqualTypeOf<GoToSignInHandler>();
    expectTypeOf(routes).toExtend<RequestHandler>();
    expectTypeOf(routes.flow).toEqualTypeOf<SignInFlow>();
    express().use('/auth', routes);
    // @ts-expect-error onSignIn is required
    goToSignIn(oauth, {});
    // @ts-expect-error the state is the flow's own
    goToSignIn(oauth, { onSignIn: () => {}, authorization: { state: 'mine' } });
    // @ts-expect-error onError is 'respond' or 'next'
    goToSignIn(oauth, { onSignIn: () => {}, onError: 'throw' });
  });
});
