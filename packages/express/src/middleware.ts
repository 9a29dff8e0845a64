import { type GoToAuth, GoToAuthError, type GoToAuthLogger, type GoToToken } from '@goto-auth/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { loggerOf, responder } from './problem.js';

declare global {
  namespace Express {
    interface Request {
      /**
       * The GoTo token, set by the `goToAuth()` or `goToUser()` middleware of
       * `@goto-auth/express`.
       *
       * Typed as always present so that handlers behind the middleware read
       * `req.goto.accessToken` directly; on routes without the middleware it is `undefined`
       * at run time (the same trade-off as `req.session` in express-session).
       */
      goto: GoToToken;
    }
  }
}

/** Options of {@link goToAuth}. */
export interface GoToAuthMiddlewareOptions {
  /**
   * What to do when no token can be had. `'respond'`: answer an RFC 9457
   * `application/problem+json` body at once (503 with `Retry-After` when GoTo is unreachable
   * or rate limiting, 502 when its answer is unusable, 500 for a configuration error such as
   * rejected credentials). `'next'`: pass the `GoToAuthError` to `next(error)`, for your own
   * error handler (`toProblem(error)` from `@goto-auth/core/http` gives the same mapping).
   *
   * @defaultValue `'respond'`
   */
  onError?: 'respond' | 'next';
  /**
   * Where a configuration error (an answer of 500) is logged, once per error code until a
   * token arrives again, or `false` for nowhere. The line names the error code, never a secret.
   *
   * @defaultValue `console`
   */
  logger?: GoToAuthLogger | false;
}

/**
 * Express middleware (Express 4 and 5) that puts the current GoTo token on `req.goto` for the
 * routes that call GoTo. A cached token costs no I/O; otherwise the request waits for the one
 * shared refresh, and stops waiting if the client goes away.
 *
 * @example
 * ```ts
 * app.get('/goto/me', goToAuth(auth), async (req, res) => {
 *   const me = await fetch(`${auth.baseUrl}/admin/rest/v1/me`, {
 *     headers: { authorization: `Bearer ${req.goto.accessToken}` },
 *   });
 *   res.status(me.status).json(await me.json());
 * });
 * ```
 */
export function goToAuth(auth: GoToAuth, options: GoToAuthMiddlewareOptions = {}): RequestHandler {
  return tokenMiddleware(options, () => auth);
}

/** What {@link tokenMiddleware} reads a token from: a `GoToAuth`, or one principal's tokens. */
type TokenSource = Pick<GoToAuth, 'cachedToken' | 'getToken'>;

/**
 * Where a request's tokens come from: a source at once, `undefined` when the request has no
 * signed-in user, or a promise of either.
 */
type SourceOf = (req: Request) => TokenSource | undefined | PromiseLike<TokenSource | undefined>;

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

/** The middleware behind {@link goToAuth} and `goToUser`: `req.goto` from a token source. */
export function tokenMiddleware(
  options: GoToAuthMiddlewareOptions,
  sourceOf: SourceOf,
): RequestHandler {
  const { fail, served } = responder(
    options.onError ?? 'respond',
    loggerOf(options.logger),
    'cannot get a GoTo token',
  );

  const withSource = (
    source: TokenSource | undefined,
    req: Request,
    res: Response,
    next: NextFunction,
  ): void => {
    if (source === undefined) {
      fail(
        new GoToAuthError('LOGIN_REQUIRED', 'No user is signed in with GoTo on this request.'),
        req,
        res,
        next,
      );
      return;
    }
    // A fresh token needs no promise: the route goes on in this tick.
    const cached = source.cachedToken();
    if (cached !== undefined) {
      // A token serves again (perhaps from the refresh timer): the next failure is news.
      served();
      req.goto = cached;
      next();
      return;
    }
    let controller: AbortController | undefined;
    // A getter, so the controller and the 'close' listener exist only when the token is not
    // cached: core reads `signal` on its slow path alone.
    const request = {
      get signal(): AbortSignal {
        if (controller === undefined) {
          const created = new AbortController();
          controller = created;
          res.once('close', () => {
            if (!res.writableFinished) created.abort();
          });
        }
        return controller.signal;
      },
    };
    source.getToken(request).then(
      (token) => {
        served();
        req.goto = token;
        next();
      },
      (error: unknown) => {
        // The client left: nobody is there to answer.
        if (controller?.signal.aborted) return;
        fail(error, req, res, next);
      },
    );
  };

  return (req, res, next) => {
    let source: ReturnType<SourceOf>;
    try {
      source = sourceOf(req);
    } catch (error) {
      fail(error, req, res, next);
      return;
    }
    if (!isThenable(source)) {
      withSource(source, req, res, next);
      return;
    }
    source.then(
      (resolved) => withSource(resolved, req, res, next),
      (error: unknown) => fail(error, req, res, next),
    );
  };
}
