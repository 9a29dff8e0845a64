import type { GoToAuthLogger } from '@goto-auth/core';
import { problemResponder } from '@goto-auth/core/http';
import type { NextFunction, Request, Response } from 'express';

/** How a failure reaches the client: problem+json at once, or `next(error)`. */
export type ErrorMode = 'respond' | 'next';

/** Answers a failure as RFC 9457 problem+json (`toProblem` from `@goto-auth/core/http`), or hands it to `next`. */
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
  const problems = problemResponder('express', what);
  const fail: Fail = (error, req, res, next) => {
    if (onError === 'next' || res.headersSent) {
      next(error);
      return;
    }
    const { status, headers, body } = problems.answer(error, `${req.method} ${req.path}`, (line) =>
      logger.error?.(line),
    );
    res.status(status).set(headers).send(JSON.stringify(body));
  };
  return { fail, served: problems.served };
}
