import type { GoToAuth, GoToToken } from '@goto-auth/core';
import Fastify from 'fastify';
import { describe, expectTypeOf, it } from 'vitest';
import { type GoToAuthPluginOptions, goToAuthPlugin } from '../src/index.js';

declare const auth: GoToAuth;

describe('types', () => {
  it('augments FastifyRequest and FastifyInstance', () => {
    const app = Fastify();
    app.register(goToAuthPlugin, { auth });
    app.get('/me', { config: { goto: true } }, async (request) => {
      expectTypeOf(request.goto).toEqualTypeOf<GoToToken>();
      expectTypeOf(request.goto.organizerKey).toEqualTypeOf<string | undefined>();
      expectTypeOf(request.gotoToken).toEqualTypeOf<(namespace?: string) => Promise<GoToToken>>();
      return { organizerKey: request.goto.organizerKey };
    });
    expectTypeOf(app.goto.getToken).toBeFunction();
    expectTypeOf(app.goto.baseUrl).toEqualTypeOf<string>();
    expectTypeOf(app.goto.billing).toEqualTypeOf<GoToAuth | undefined>();
    // @ts-expect-error goto is true or a namespace
    app.get('/x', { config: { goto: false } }, async () => ({}));
  });

  it('takes an auth object or its options, with a namespace', () => {
    expectTypeOf<{ auth: GoToAuth }>().toExtend<GoToAuthPluginOptions>();
    expectTypeOf<{ auth: GoToAuth; namespace: string }>().toExtend<GoToAuthPluginOptions>();
    expectTypeOf<{
      clientId: string;
      userId: string;
      password: string;
      onError: 'throw';
    }>().toExtend<GoToAuthPluginOptions>();
    const app = Fastify();
    // @ts-expect-error an account is required: an auth object or its options
    app.register(goToAuthPlugin, { namespace: 'billing' });
  });
});
