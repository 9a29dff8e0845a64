import {
  createGoToAuth,
  type GoToAuth,
  type GoToAuthLogger,
  type GoToAuthOptions,
  type GoToToken,
} from '@goto-auth/core';
import { problemResponder } from '@goto-auth/core/http';
import type { Context, MiddlewareHandler } from 'hono';
import { env } from 'hono/adapter';
import { createMiddleware } from 'hono/factory';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** The variables {@link goToAuth} sets: `c.var.goto`. */
export interface GoToAuthVariables {
  /** The current GoTo token; `c.var.goto.accessToken` is the bearer token. */
  goto: GoToToken;
}

/**
 * The Hono environment of routes behind {@link goToAuth}. Merge it into your app's own:
 * `new Hono<{ Bindings: Env } & GoToAuthEnv>()`.
 */
export interface GoToAuthEnv {
  /** What the middleware sets on the context. */
  Variables: GoToAuthVariables;
}

/**
 * Where the middleware gets its `GoToAuth`: the object itself, or a function of the request's
 * context that returns it (for Workers, where credentials are bindings known only per request).
 * The function must return the same object for the same credentials: a new one per request
 * would make a grant per request.
 */
export type GoToAuthSource = GoToAuth | ((c: Context) => GoToAuth);

/** Options of {@link goToAuth}. */
export interface GoToAuthMiddlewareOptions {
  /**
   * What to do when no token can be had. `'respond'`: answer an RFC 9457
   * `application/problem+json` body (503 with `Retry-After` when GoTo is unreachable or rate
   * limiting, 502 when its answer is unusable, 500 for a configuration error such as rejected
   * credentials). `'throw'`: throw the `GoToAuthError`, for your `app.onError`
   * (`toProblem(error)` from `@goto-auth/core/http` gives the same mapping).
   *
   * @defaultValue `'respond'`
   */
  onError?: 'respond' | 'throw';
  /**
   * Where a configuration error (an answer of 500) is logged, once per error code until a
   * token arrives again, or `false` for nowhere. The line names the error code, never a secret.
   *
   * @defaultValue `console`
   */
  logger?: GoToAuthLogger | false;
}

/**
 * Hono middleware that puts the current GoTo token on `c.var.goto` for the routes that call
 * GoTo. A cached token costs no I/O; otherwise the request waits for the one shared refresh.
 *
 * @example
 * ```ts
 * app.get('/goto/me', goToAuth(auth), async (c) => {
 *   const me = await fetch(`${auth.baseUrl}/admin/rest/v1/me`, {
 *     headers: { authorization: `Bearer ${c.var.goto.accessToken}` },
 *   });
 *   return c.json(await me.json(), me.ok ? 200 : 502);
 * });
 * ```
 */
export function goToAuth(
  source: GoToAuthSource,
  options: GoToAuthMiddlewareOptions = {},
): MiddlewareHandler<GoToAuthEnv> {
  const { onError = 'respond' } = options;
  const logger: GoToAuthLogger = options.logger === false ? {} : (options.logger ?? console);
  const problems = problemResponder('hono');

  const fail = (error: unknown, c: Context): Response => {
    if (onError === 'throw') throw error;
    const { status, headers, body } = problems.answer(
      error,
      `${c.req.method} ${c.req.path}`,
      (line) => logger.error?.(line),
    );
    return c.body(JSON.stringify(body), status as ContentfulStatusCode, headers);
  };

  return createMiddleware<GoToAuthEnv>(async (c, next) => {
    let token: GoToToken;
    try {
      const auth = typeof source === 'function' ? source(c) : source;
      // A fresh token needs no promise; otherwise stop waiting if the client goes away.
      token = auth.cachedToken() ?? (await auth.getToken({ signal: c.req.raw.signal }));
    } catch (error) {
      return fail(error, c);
    }
    problems.served();
    c.set('goto', token);
    await next();
  });
}

/** The bindings (or environment variables) {@link goToAuthFromEnv} reads. */
export interface GoToAuthBindings {
  /** The Consumer Key (`client_id`). */
  GOTO_CLIENT_ID: string;
  /** The Consumer Secret: enables `refresh_token` grants. */
  GOTO_CLIENT_SECRET?: string;
  /** The GoTo user's login id. */
  GOTO_USER_ID: string;
  /** The GoTo user's password (a secret binding). */
  GOTO_PASSWORD: string;
  /** GoTo's API origin. @defaultValue `'https://api.getgo.com'` */
  GOTO_BASE_URL?: string;
}

/**
 * A {@link GoToAuthSource} that builds the `GoToAuth` from `GOTO_*` bindings read with Hono's
 * `env(c)` (Workers bindings, or `process.env` / `Deno.env` / `Bun.env`), once per set of
 * credentials, on the first request that needs it. Missing credentials answer 500 (logged once).
 *
 * @param options - further `createGoToAuth` options, such as a shared `store`
 * @example
 * ```ts
 * app.use('/goto/*', goToAuth(goToAuthFromEnv()));
 * ```
 */
export function goToAuthFromEnv(options: Partial<GoToAuthOptions> = {}): (c: Context) => GoToAuth {
  const made = new Map<string, GoToAuth>();
  return (c) => {
    const vars = env<Partial<GoToAuthBindings>>(c);
    const key = [vars.GOTO_BASE_URL, vars.GOTO_CLIENT_ID, vars.GOTO_USER_ID].join('\n');
    let auth = made.get(key);
    if (auth === undefined) {
      auth = createGoToAuth({
        clientId: vars.GOTO_CLIENT_ID ?? '',
        clientSecret: vars.GOTO_CLIENT_SECRET,
        userId: vars.GOTO_USER_ID ?? '',
        password: vars.GOTO_PASSWORD ?? '',
        baseUrl: vars.GOTO_BASE_URL,
        ...options,
      });
      made.set(key, auth);
    }
    return auth;
  };
}
