import { type GoToAuthLogger, isGoToAuthError, toProblem } from '@goto-auth/core';
import type { NextFunction, Request, Response } from 'express';

/** How a failure reaches the client: problem+json at once, or `next(error)`. */
export type ErrorMode = 'respond' | 'next';

/** Answers a failure as RFC 9457 problem+json (core's `toProblem`), or hands it to `next`. */
export type Fail = (error: unknown, req: Request, res: Response, next: NextFunction) => void;

/**
 * A failure handler for one middleware: 500s (configuration errors) are logged once per error
 * code, until {@link Responder.served} says a token served again.
 */
export interface Responder {
  fail: Fail;
  /** A token served: the next failure is news, logged again. */
  served(): void;
}

/** The logger an option names: `console` by default, nowhere for `false`. */
export function loggerOf(logger: GoToAuthLogger | false | undefined): GoToAuthLogger {
  return logger === false ? {} : (logger ?? console);
}

export function responder(onError: ErrorMode, logger: GoToAuthLogger, what: string): Responder {
  let loggedCode: string | undefined;
  const fail: Fail = (error, req, res, next) => {
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
        `[goto-auth/express] ${body.code}: ${what} (${why}). Answering 500 on ${req.method} ${req.path} until the configuration is fixed.`,
      );
    }
    res
      .status(status)
      .set({ 'content-type': 'application/problem+json', 'cache-control': 'no-store' });
    if (retryAfter !== undefined) res.set('retry-after', String(retryAfter));
    res.send(JSON.stringify(body));
  };
  return {
    fail,
    served: () => {
      loggedCode = undefined;
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
