import {
  type GoToAuth,
  type GoToAuthLogger,
  type GoToToken,
  isGoToAuthError,
  toProblem,
} from '@goto-auth/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

declare global {
  namespace Express {
    interface Request {
      /**
       * The GoTo token, set by the `goToAuth()` middleware of `@goto-auth/express`.
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
   * error handler (core's `toProblem(error)` gives the same mapping).
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
  const { onError = 'respond' } = options;
  const logger: GoToAuthLogger = options.logger === false ? {} : (options.logger ?? console);
  let loggedCode: string | undefined;

  const fail = (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (onError === 'next' || res.headersSent) {
      next(error);
      return;
    }
    const { status, retryAfter, body } = toProblem(error);
    if (status === 500 && loggedCode !== body.code) {
      loggedCode = body.code;
      // Core's messages carry no secret; anything else could, so only its name is logged.
      const why = isGoToAuthError(error) ? error.message : `unexpected ${describe(error)}`;
      logger.error?.(
        `[goto-auth/express] ${body.code}: cannot get a GoTo token (${why}). Answering 500 on ${req.method} ${req.path} until the configuration is fixed.`,
      );
    }
    res
      .status(status)
      .set({ 'content-type': 'application/problem+json', 'cache-control': 'no-store' });
    if (retryAfter !== undefined) res.set('retry-after', String(retryAfter));
    res.send(JSON.stringify(body));
  };

  return (req, res, next) => {
    // A fresh token needs no promise: the route goes on in this tick.
    const cached = auth.cachedToken();
    if (cached !== undefined) {
      // A token serves again (perhaps from the refresh timer): the next failure is news.
      loggedCode = undefined;
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
    auth.getToken(request).then(
      (token) => {
        loggedCode = undefined;
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
}

function describe(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
