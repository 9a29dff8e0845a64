import { GoToAuthError, toProblem } from '@goto-auth/core';
import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

/**
 * Answers a `GoToAuthError` that escapes a route with an RFC 9457
 * `application/problem+json` body (core's `toProblem`): 503 with `Retry-After` when GoTo is
 * unreachable or rate limiting, 502 when its answer is unusable, 500 for a configuration error.
 * The body carries the error code and a fixed title, never a secret. Other errors are left to
 * Nest. Works on the Express and Fastify platforms.
 *
 * @example
 * ```ts
 * import { APP_FILTER } from '@nestjs/core';
 *
 * @Module({ providers: [{ provide: APP_FILTER, useClass: GoToAuthExceptionFilter }] })
 * export class AppModule {}
 * ```
 */
@Catch(GoToAuthError)
export class GoToAuthExceptionFilter implements ExceptionFilter<GoToAuthError> {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: GoToAuthError, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const response: unknown = host.switchToHttp().getResponse();
    const { status, retryAfter, body } = toProblem(error);
    httpAdapter.setHeader(response, 'content-type', 'application/problem+json');
    httpAdapter.setHeader(response, 'cache-control', 'no-store');
    if (retryAfter !== undefined)
      httpAdapter.setHeader(response, 'retry-after', String(retryAfter));
    httpAdapter.reply(response, body, status);
  }
}
