import {
  createGoToAuth,
  type GoToAuth,
  GoToAuthError,
  type GoToAuthOptions,
  type GoToToken,
} from '@goto-auth/core';
import { problemResponder } from '@goto-auth/core/http';
import type {
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
} from 'fastify';
import fp from 'fastify-plugin';

/** The GoTo accounts registered under a `namespace`, by name. */
export interface GoToAuthNamespaces {
  [namespace: string]: GoToAuth;
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The `GoToAuth` of `@goto-auth/fastify` (the one registered without a namespace), and the
     * ones registered with a `namespace`, by name: `fastify.goto.billing`.
     */
    goto: GoToAuth & GoToAuthNamespaces;
  }
  interface FastifyRequest {
    /**
     * The GoTo token, set by `@goto-auth/fastify` on routes whose config asks for it
     * (`{ config: { goto: true } }`, or a namespace). Typed as always present so that handlers
     * of those routes read `request.goto.accessToken` directly; elsewhere it is `null`.
     */
    goto: GoToToken;
    /** The current GoTo token of the default account, or of the account `namespace` names. */
    gotoToken(namespace?: string): Promise<GoToToken>;
  }
  interface FastifyContextConfig {
    /** `true`: put the default account's token on `request.goto`; a string: that namespace's. */
    goto?: true | string;
  }
}

/** Options of {@link goToAuthPlugin}, besides the account (an auth object or its options). */
export interface GoToAuthPluginCommonOptions {
  /**
   * Registers this account under a name, for several GoTo accounts in one app: read it as
   * `fastify.goto[namespace]`, ask for it with `{ config: { goto: namespace } }`.
   */
  namespace?: string;
  /**
   * What a route that asks for a token does when none can be had. `'respond'`: answer an
   * RFC 9457 `application/problem+json` body (503 with `Retry-After` when GoTo is unreachable
   * or rate limiting, 502 when its answer is unusable, 500 for a configuration error, logged
   * once per code with `request.log.error`). `'throw'`: hand the `GoToAuthError` to Fastify's
   * error handler (`toProblem(error)` from `@goto-auth/core/http` gives the same mapping).
   *
   * @defaultValue `'respond'`
   */
  onError?: 'respond' | 'throw';
}

/**
 * Options of {@link goToAuthPlugin}: an auth object you own (the plugin never closes it), or
 * the options of one for the plugin to create (and close when Fastify closes).
 */
export type GoToAuthPluginOptions = GoToAuthPluginCommonOptions &
  (
    | {
        /** An auth object made with `createGoToAuth`; you close it. */
        auth: GoToAuth;
      }
    | GoToAuthOptions
  );

const plugin: FastifyPluginCallback<GoToAuthPluginOptions> = (fastify, options, done) => {
  const { namespace, onError = 'respond' } = options;
  const given = 'auth' in options ? options.auth : undefined;
  let auth: GoToAuth;
  try {
    auth = given ?? createGoToAuth(accountOptions(options));
  } catch (error) {
    done(error as Error);
    return;
  }
  if (given === undefined) fastify.addHook('onClose', () => auth.close());

  if (namespace === undefined) {
    if (fastify.hasDecorator('goto')) {
      done(
        new Error(
          '@goto-auth/fastify: fastify.goto is taken (registered twice, or after a namespace): register the default account first and once, and give each other account a namespace',
        ),
      );
      return;
    }
    fastify.decorate('goto', auth as FastifyInstance['goto']);
  } else {
    if (!fastify.hasDecorator('goto')) fastify.decorate('goto', {} as FastifyInstance['goto']);
    if (fastify.goto[namespace] !== undefined) {
      done(new Error(`@goto-auth/fastify: the namespace "${namespace}" is already registered`));
      return;
    }
    fastify.goto[namespace] = auth;
  }

  onErrors.set(auth, onError);
  if (!fastify.hasRequestDecorator('gotoToken')) {
    fastify.decorateRequest('goto', null as unknown as GoToToken);
    fastify.decorateRequest('gotoToken', function gotoToken(this: FastifyRequest, name?: string) {
      try {
        const account = lookup(this.server, name);
        return Promise.resolve(account.cachedToken() ?? account.getToken());
      } catch (error) {
        return Promise.reject(error);
      }
    });
    // Only routes that ask for a token get a hook: the others pay nothing.
    fastify.addHook('onRoute', (route) => {
      const wanted = route.config?.goto;
      if (wanted === undefined) return;
      const hook = tokenHook(wanted === true ? undefined : wanted);
      const hooks = route.onRequest;
      route.onRequest = hooks === undefined ? [hook] : [...[hooks].flat(), hook];
    });
  }
  done();
};

/** How each account's routes answer when no token can be had. */
const onErrors = new WeakMap<GoToAuth, 'respond' | 'throw'>();

/** The `onRequest` hook of a route that asks for the token of `namespace` (or the default). */
function tokenHook(namespace: string | undefined): onRequestHookHandler {
  const problems = problemResponder('fastify');

  const fail = (
    error: unknown,
    account: GoToAuth | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
    next: (error?: Error) => void,
  ): void => {
    if (account !== undefined && onErrors.get(account) === 'throw') {
      next(error as Error);
      return;
    }
    const { status, headers, body } = problems.answer(
      error,
      `${request.method} ${request.url}`,
      (line) => request.log.error(line),
    );
    reply.code(status).headers(headers);
    reply.send(JSON.stringify(body));
  };

  return function goToAuthHook(request, reply, next) {
    let account: GoToAuth;
    try {
      account = lookup(this, namespace);
    } catch (error) {
      fail(error, undefined, request, reply, next);
      return;
    }
    // A fresh token needs no promise: the route goes on in this tick.
    const cached = account.cachedToken();
    if (cached !== undefined) {
      // A token serves again (perhaps from the refresh timer): the next failure is news.
      problems.served();
      request.goto = cached;
      next();
      return;
    }
    const controller = new AbortController();
    const abandon = () => {
      if (!reply.raw.writableFinished) controller.abort();
    };
    reply.raw.once('close', abandon);
    account.getToken({ signal: controller.signal }).then(
      (token) => {
        reply.raw.off('close', abandon);
        problems.served();
        request.goto = token;
        next();
      },
      (error: unknown) => {
        reply.raw.off('close', abandon);
        fail(error, account, request, reply, next);
      },
    );
  };
}

function accountOptions(options: GoToAuthPluginOptions): GoToAuthOptions {
  const {
    namespace: _namespace,
    onError: _onError,
    ...rest
  } = options as GoToAuthOptions & GoToAuthPluginCommonOptions;
  return rest;
}

/** The account registered under `namespace`, or the default one. */
function lookup(fastify: FastifyInstance, namespace: string | undefined): GoToAuth {
  const account = namespace === undefined ? fastify.goto : fastify.goto?.[namespace];
  if (typeof account?.getToken !== 'function') {
    throw new GoToAuthError(
      'INVALID_OPTIONS',
      namespace === undefined
        ? '@goto-auth/fastify: no GoTo account is registered without a namespace.'
        : `@goto-auth/fastify: no GoTo account is registered as "${namespace}".`,
    );
  }
  return account;
}

/**
 * A Fastify plugin (Fastify 5) for GoTo tokens. It decorates the instance with the auth object
 * (`fastify.goto`), requests with `request.gotoToken()`, and puts the current token on
 * `request.goto` for the routes whose config asks for it; a route without that config pays
 * nothing. Register it once per GoTo account, with a `namespace` for each additional one.
 *
 * @example
 * ```ts
 * await app.register(goToAuthPlugin, { auth });
 * app.get('/goto/me', { config: { goto: true } }, async (request) => {
 *   const me = await fetch(`${app.goto.baseUrl}/admin/rest/v1/me`, {
 *     headers: { authorization: `Bearer ${request.goto.accessToken}` },
 *   });
 *   return me.json();
 * });
 * ```
 */
export const goToAuthPlugin = fp(plugin, { fastify: '5.x', name: '@goto-auth/fastify' });
