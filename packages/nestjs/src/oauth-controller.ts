import { GoToAuthError } from '@goto-auth/core';
import { Controller, Get, Req, Res, type Type, UseFilters } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { GoToAuthExceptionFilter } from './filter.js';
import type { GoToOAuthRoutes, GoToSignedIn, GoToSignInAuthorization } from './oauth-options.js';
import { GoToOAuthService } from './oauth-service.js';

/** `returnTo` from a request URL's query string, when there is exactly one. */
function returnToOf(url: string): string | undefined {
  const query = url.indexOf('?');
  if (query === -1) return undefined;
  const values = new URLSearchParams(url.slice(query + 1)).getAll('returnTo');
  return values.length === 1 ? values[0] : undefined;
}

function cookieOf(req: unknown): string | undefined {
  const cookie = (req as { headers?: Record<string, unknown> } | undefined)?.headers?.cookie;
  return typeof cookie === 'string' ? cookie : undefined;
}

/**
 * "Sign in with GoTo" routes on core's signed state cookie, for the Express and Fastify
 * platforms: `GET login[?returnTo=/path]` (302 to GoTo with the cookie) and `GET callback`
 * (checks the cookie, exchanges the code, clears the cookie, calls {@link onSignIn}, then 302
 * to `returnTo`). A bad, refused or replayed callback answers 400 problem+json through
 * `GoToAuthExceptionFilter` (no stack, code or token), before any request to GoTo when the
 * cookie does not hold.
 *
 * `GoToOAuthModule.forRoot({ …, routes: { path, onSignIn } })` mounts it for you. To use your
 * own providers in `onSignIn`, extend it under a `@Controller()` of your own instead:
 *
 * @example
 * ```ts
 * @Controller('auth/goto')
 * export class GoToSignInController extends GoToOAuthController {
 *   constructor(goto: GoToOAuthService, host: HttpAdapterHost, private readonly users: Users) {
 *     super(goto, host);
 *   }
 *   protected override async onSignIn(req: Request, _res: Response, { principal }: GoToSignedIn) {
 *     req.session.principal = principal;
 *     await this.users.seen(principal);
 *   }
 * }
 * ```
 */
@UseFilters(GoToAuthExceptionFilter)
export class GoToOAuthController {
  /** The module's service: the sign-in flow and the tokens. */
  protected readonly goto: GoToOAuthService;
  /** The HTTP platform (Express or Fastify), to read requests and answer. */
  protected readonly adapterHost: HttpAdapterHost;

  constructor(goto: GoToOAuthService, adapterHost: HttpAdapterHost) {
    this.goto = goto;
    this.adapterHost = adapterHost;
  }

  /** `GET login`: 302 to GoTo's authorization URL, with the signed state cookie. */
  @Get('login')
  async login(@Req() req: unknown, @Res() res: unknown): Promise<void> {
    const { httpAdapter } = this.adapterHost;
    const url = httpAdapter.getRequestUrl?.(req) ?? '';
    const started = await this.goto.startSignIn({
      ...this.authorization(req),
      returnTo: returnToOf(url),
    });
    httpAdapter.appendHeader(res, 'set-cookie', started.setCookie);
    httpAdapter.setHeader(res, 'cache-control', 'no-store');
    httpAdapter.redirect(res, 302, started.url);
  }

  /** `GET callback`: the redirect URI. */
  @Get('callback')
  async callback(@Req() req: unknown, @Res() res: unknown): Promise<void> {
    const { httpAdapter } = this.adapterHost;
    const flow = this.goto.flow;
    httpAdapter.setHeader(res, 'cache-control', 'no-store');
    let result: Awaited<ReturnType<GoToOAuthService['finishSignIn']>>;
    try {
      result = await this.goto.finishSignIn(httpAdapter.getRequestUrl?.(req) ?? '', cookieOf(req));
    } catch (error) {
      // The state is spent either way.
      httpAdapter.appendHeader(res, 'set-cookie', flow.clearCookie);
      throw error instanceof GoToAuthError
        ? error
        : new GoToAuthError('UNEXPECTED_ERROR', 'The sign-in failed unexpectedly.');
    }
    httpAdapter.appendHeader(res, 'set-cookie', result.clearCookie);
    const { principal, token, returnTo } = result;
    await this.onSignIn(req, res, { principal, token, returnTo });
    if (!httpAdapter.isHeadersSent(res)) httpAdapter.redirect(res, 302, returnTo);
  }

  /**
   * Puts the signed-in user into the app's session. Override it (or give `routes.onSignIn`);
   * send an answer yourself, or let the route redirect to `signedIn.returnTo`.
   */
  protected onSignIn(_req: unknown, _res: unknown, _signedIn: GoToSignedIn): unknown {
    throw new Error(
      'GoToOAuthController: override onSignIn() to keep the signed-in principal in your session.',
    );
  }

  /** The authorization URL's options for this request (`scope`, `params`). None by default. */
  protected authorization(_req: unknown): GoToSignInAuthorization | undefined {
    return undefined;
  }
}

/** The controller `GoToOAuthModule` mounts for `routes`. */
export function routesController(routes: GoToOAuthRoutes): Type<GoToOAuthController> {
  const { path, onSignIn, authorization } = routes;
  if (typeof path !== 'string' || typeof onSignIn !== 'function') {
    throw new GoToAuthError(
      'INVALID_OPTIONS',
      'GoToOAuthModule: "routes" needs a "path" string and an "onSignIn" function.',
    );
  }
  @Controller(path)
  class GoToOAuthRoutesController extends GoToOAuthController {
    protected override onSignIn(req: unknown, res: unknown, signedIn: GoToSignedIn): unknown {
      return onSignIn(req, res, signedIn);
    }

    protected override authorization(req: unknown): GoToSignInAuthorization | undefined {
      return typeof authorization === 'function' ? authorization(req) : authorization;
    }
  }
  return GoToOAuthRoutesController;
}
