import type { GoToAuth, GoToToken } from '@goto-auth/core';
import express, { type RequestHandler } from 'express';
import { describe, expectTypeOf, it } from 'vitest';
import { type GoToAuthMiddlewareOptions, goToAuth } from '../src/index.js';

declare const auth: GoToAuth;

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
});
