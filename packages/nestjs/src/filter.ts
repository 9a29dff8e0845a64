import { GoToAuthError } from '@goto-auth/core';
import { toProblem } from '@goto-auth/core/http';
import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

/**
 * Answers a `GoToAuthError` that escapes a route with an RFC 9457
 * `application/problem+json` body (`toProblem` from `@goto-auth/core/http`): 503 with `Retry-After` when GoTo is
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
    const { status, headers, body } = toProblem(error);
    for (const [name, value] of Object.entries(headers))
      httpAdapter.setHeader(response, name, value);
    httpAdapter.reply(response, body, status);
  }
}
