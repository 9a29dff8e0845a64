import { isGoToAuthError } from '@goto-auth/core';
import { type ProblemResponse, problemHeaders, toProblem } from '@goto-auth/core/http';
import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { isAxiosError } from 'axios';
import type { Response } from 'express';
import { isHTTPError, isNetworkError, isTimeoutError } from 'ky';

const TYPE = 'https://goto-auth.dev/problems/';

/** An RFC 9457 answer: core's `ProblemResponse`, with the sample's own codes allowed. */
export interface Problem extends Omit<ProblemResponse, 'body'> {
  body: Omit<ProblemResponse['body'], 'code'> & { code: string };
}

function problem(
  status: number,
  code: string,
  title: string,
  detail: string,
  retryAfter?: number,
): Problem {
  return {
    status,
    retryAfter,
    headers: problemHeaders(retryAfter),
    body: { type: TYPE + code.toLowerCase().replaceAll('_', '-'), title, status, detail, code },
  };
}

function unreachable(): Problem {
  return problem(
    503,
    'GOTO_UNREACHABLE',
    'GoTo is unreachable',
    'The GoTo API could not be reached; try again later.',
    5,
  );
}

function timedOut(): Problem {
  return problem(
    504,
    'GOTO_TIMEOUT',
    'GoTo did not answer in time',
    'The GoTo API did not answer in time; try again later.',
    5,
  );
}

/** GoTo's own error answer, from ky's HTTPError or axios's error. */
function fromStatus(status: number): Problem {
  if (status === 401 || status === 403) {
    return problem(
      502,
      'GOTO_REJECTED',
      'GoTo rejected the request',
      `GoTo answered ${status} even with a fresh token.`,
    );
  }
  if (status === 429 || status === 503) {
    return problem(
      503,
      'GOTO_UNAVAILABLE',
      'GoTo is unavailable',
      `GoTo answered ${status}; try again later.`,
      5,
    );
  }
  return problem(502, 'GOTO_ERROR', 'GoTo answered with an error', `GoTo answered ${status}.`);
}

/**
 * Maps a failed call to GoTo onto an RFC 9457 answer. No token means core's mapping (503 when
 * GoTo is unreachable, 500 for rejected credentials...); GoTo's own answers and network
 * failures are mapped here. Nothing from GoTo's body is echoed.
 */
export function toGoToProblem(error: unknown): Problem {
  if (isGoToAuthError(error)) return toProblem(error);
  if (isNetworkError(error)) return unreachable();
  if (isTimeoutError(error)) return timedOut();
  if (isHTTPError(error)) return fromStatus(error.response.status);
  // The HttpService route (@nestjs/axios): the same answers from axios's errors.
  if (isAxiosError(error)) {
    if (error.response !== undefined) return fromStatus(error.response.status);
    return error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT' ? timedOut() : unreachable();
  }
  if (error instanceof SyntaxError) {
    return problem(
      502,
      'GOTO_BAD_RESPONSE',
      'GoTo answered with something unusable',
      'GoTo answered with a body that is not JSON.',
    );
  }
  return problem(500, 'INTERNAL', 'Unexpected error', 'The request failed unexpectedly.');
}

/** Sends a problem+json answer. */
export function sendProblem(res: Response, { status, headers, body }: Problem): void {
  res.status(status).set(headers).send(JSON.stringify(body));
}

/** Answers every error of the routes it decorates with problem+json. */
@Catch()
export class GoToProblemFilter implements ExceptionFilter {
  readonly #logger = new Logger('GoToApi');

  catch(error: unknown, host: ArgumentsHost): void {
    const answer = toGoToProblem(error);
    // The code and status only: an error's message or cause could quote a request.
    this.#logger.warn(`GoTo call failed: ${answer.body.code} (answering ${answer.status})`);
    sendProblem(host.switchToHttp().getResponse<Response>(), answer);
  }
}
