import type { GoToAuth, GoToToken } from '@goto-auth/core';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type GoToAuthEnv,
  type GoToAuthMiddlewareOptions,
  type GoToAuthSource,
  goToAuth,
  goToAuthFromEnv,
} from '../src/index.js';

declare const auth: GoToAuth;

describe('types', () => {
  it('types c.var.goto as the GoTo token in handlers after the middleware', () => {
    const app = new Hono();
    app.get('/me', goToAuth(auth), (c) => {
      expectTypeOf(c.var.goto).toEqualTypeOf<GoToToken>();
      expectTypeOf(c.get('goto').accessToken).toEqualTypeOf<string>();
      expectTypeOf(c.var.goto.organizerKey).toEqualTypeOf<string | undefined>();
      return c.json({ organizerKey: c.var.goto.organizerKey });
    });
  });

  it('merges with an app environment of bindings', () => {
    const app = new Hono<{ Bindings: { GOTO_PASSWORD: string } } & GoToAuthEnv>();
    app.use('/goto/*', goToAuth(goToAuthFromEnv()));
    app.get('/goto/me', (c) => {
      expectTypeOf(c.env.GOTO_PASSWORD).toEqualTypeOf<string>();
      expectTypeOf(c.var.goto).toEqualTypeOf<GoToToken>();
      return c.text(c.var.goto.accessToken);
    });
  });

  it('types the middleware, its source and its options', () => {
    expectTypeOf(goToAuth(auth)).toEqualTypeOf<MiddlewareHandler<GoToAuthEnv>>();
    expectTypeOf<GoToAuthSource>().toEqualTypeOf<GoToAuth | ((c: Context) => GoToAuth)>();
    expectTypeOf(goToAuthFromEnv()).toExtend<GoToAuthSource>();
    expectTypeOf<GoToAuthMiddlewareOptions['onError']>().toEqualTypeOf<
      'respond' | 'throw' | undefined
    >();
    // @ts-expect-error onError is 'respond' or 'throw'
    goToAuth(auth, { onError: 'next' });
    // @ts-expect-error the token source comes first
    goToAuth({ onError: 'throw' });
  });
});
