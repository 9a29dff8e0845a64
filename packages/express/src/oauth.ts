import {
  type AuthorizationUrlOptions,
  createSignInFlow,
  GoToAuthError,
  type GoToAuthLogger,
  type GoToOAuth,
  type GoToToken,
  type SignInFlow,
  type SignInFlowOptions,
} from '@goto-auth/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { type GoToAuthMiddlewareOptions, tokenMiddleware } from './middleware.js';
import { loggerOf, responder } from './problem.js';

/**
 * Express middleware (Express 4 and 5) for apps where users sign in with GoTo: puts the
 * signed-in user's GoTo token on `req.goto`, like {@link goToAuth} does for one credential.
 *
 * `getPrincipal` reads who the user is from your app's own session (the principal your
 * `onSignIn` stored there). No principal, or a principal whose GoTo session has ended (signed
 * out, or GoTo refused the refresh token), answers 401 problem+json with code `LOGIN_REQUIRED`:
 * send the user to the login route again. Other failures answer as {@link goToAuth}'s do.
 *
 * @param getPrincipal - the signed-in user's principal, `undefined` (or `null`, or `''`) when
 * nobody is signed in; may return a promise. A throw or rejection answers 500 (`UNEXPECTED_ERROR`).
 *
 * @example
 * ```ts
 * app.get('/me', goToUser(oauth, (req) => req.session.principal), async (req, res) => {
 *   const me = await fetch(`${oauth.baseUrl}/admin/rest/v1/me`, {
 *     headers: { authorization: `Bearer ${req.goto.accessToken}` },
 *   });
 *   res.status(me.status).json(await me.json());
 * });
 * ```
 */
export function goToUser(
  oauth: GoToOAuth,
  getPrincipal: (
    req: Request,
  ) => string | null | undefined | PromiseLike<string | null | undefined>,
  options: GoToAuthMiddlewareOptions = {},
): RequestHandler {
  const sourceOf = (principal: string | null | undefined) =>
    typeof principal !== 'string' || principal === ''
      ? undefined
      : {
          cachedToken: () => oauth.cachedToken(principal),
          getToken: (request?: { signal?: AbortSignal }) => oauth.getToken(principal, request),
        };
  return tokenMiddleware(options, (req) => {
    const principal = getPrincipal(req);
    return typeof (principal as PromiseLike<unknown> | undefined)?.then === 'function'
      ? (principal as PromiseLike<string | null | undefined>).then(sourceOf)
      : sourceOf(principal as string | null | undefined);
  });
}

/** Who signed in, handed to {@link GoToSignInOptions.onSignIn}. */
export interface GoToSignedIn {
  /** The user GoTo named (`principal`, usually an email address): the key of their tokens. */
  principal: string;
  /** The user's token; its refresh token stays server-side in the store. */
  token: GoToToken;
  /** The checked local path to send the user to (the login route's `returnTo`, or the default). */
  returnTo: string;
}

/** Options of {@link goToSignIn}: the routes, and the signed state cookie (core's `createSignInFlow`). */
export interface GoToSignInOptions extends SignInFlowOptions {
  /**
   * Runs after GoTo signed the user in, the state cookie checked and the code exchanged: put
   * `principal` into your app's session (regenerate the session id first, against session
   * fixation). When it has not answered by the time it returns (or its promise settles), the
   * route redirects (302) to `returnTo`. A throw or rejection goes to `next(error)`.
   */
  onSignIn(req: Request, res: Response, signedIn: GoToSignedIn): unknown;
  /**
   * What to do with a failed login or callback (`STATE_MISMATCH`, `ACCESS_DENIED`,
   * `INVALID_CALLBACK` answer 400; GoTo unreachable 503…). `'respond'`: problem+json from
   * `toProblem` (`@goto-auth/core/http`), never a stack, code or token. `'next'`: `next(error)` with the
   * `GoToAuthError`, for your own page. The state cookie is cleared either way.
   * @defaultValue `'respond'`
   */
  onError?: 'respond' | 'next';
  /**
   * The login route's path, relative to where the handler is mounted. `?returnTo=/a/local/path`
   * on it chooses where the user lands after signing in.
   * @defaultValue `login` beside the callback path (`/auth/goto/login` for a redirect URI
   * ending in `/auth/goto/callback`)
   */
  loginPath?: string;
  /**
   * The callback route's path, relative to where the handler is mounted.
   * @defaultValue the redirect URI's path: right when the handler is mounted at the root
   */
  callbackPath?: string;
  /**
   * The authorization URL's options (`scope`, `params` such as `login_hint`), fixed or per
   * request.
   */
  authorization?:
    | Omit<AuthorizationUrlOptions, 'state'>
    | ((req: Request) => Omit<AuthorizationUrlOptions, 'state'>);
  /**
   * Where a configuration error (an answer of 500) is logged, once per error code, or `false`
   * for nowhere. The line names the error code, never a secret.
   * @defaultValue `console`
   */
  logger?: GoToAuthLogger | false;
}

/** The handler {@link goToSignIn} returns: mount it with `app.use()`. */
export interface GoToSignInHandler extends RequestHandler {
  /** The sign-in flow behind the routes (the cookie's name, path and `Secure`). */
  readonly flow: SignInFlow;
  /** The login route's path, relative to the mount point. */
  readonly loginPath: string;
  /** The callback route's path, relative to the mount point. */
  readonly callbackPath: string;
}

function checkPath(path: string, name: string): string {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new GoToAuthError(
      'INVALID_OPTIONS',
      `goToSignIn: "${name}" must be a path starting with "/".`,
    );
  }
  return path;
}

/** `returnTo` from the request's query string, when there is exactly one. */
function returnToOf(req: Request): string | undefined {
  const url = req.originalUrl ?? req.url;
  const query = url.indexOf('?');
  if (query === -1) return undefined;
  const values = new URLSearchParams(url.slice(query + 1)).getAll('returnTo');
  return values.length === 1 ? values[0] : undefined;
}

/**
 * "Sign in with GoTo" for Express (4 and 5): a login route and a callback route, in one handler
 * to mount with `app.use()`. Nothing is stored on the server until the user is back: the
 * `state` travels in core's signed, short-lived, `HttpOnly`, `SameSite=Lax` cookie (`Secure`
 * outside loopback).
 *
 * - `GET loginPath[?returnTo=/path]`: 302 to GoTo's authorization URL, with the state cookie.
 * - `GET callbackPath`: checks the cookie (a missing, altered, expired or replayed one answers
 *   400 problem+json before any request to GoTo), exchanges the code, clears the cookie, then
 *   calls your `onSignIn` to remember the principal in your session, and redirects to
 *   `returnTo`.
 *
 * Then {@link goToUser} gives each request its user's token.
 *
 * @throws `GoToAuthError` `INVALID_OPTIONS` for unusable options
 *
 * @example
 * ```ts
 * app.use(
 *   goToSignIn(oauth, {
 *     onSignIn: (req, _res, { principal }) => {
 *       req.session.principal = principal;
 *     },
 *   }),
 * );
 * ```
 */
export function goToSignIn(oauth: GoToOAuth, options: GoToSignInOptions): GoToSignInHandler {
  const {
    onSignIn,
    onError = 'respond',
    authorization,
    logger,
    loginPath: givenLogin,
    callbackPath: givenCallback,
    ...cookie
  } = options ?? {};
  if (typeof onSignIn !== 'function') {
    throw new GoToAuthError('INVALID_OPTIONS', 'goToSignIn: "onSignIn" must be a function.');
  }
  const flow = createSignInFlow(oauth, cookie);
  const callbackPath = checkPath(givenCallback ?? flow.callbackPath, 'callbackPath');
  const loginPath = checkPath(
    givenLogin ?? new URL('login', new URL(flow.callbackPath, 'http://x')).pathname,
    'loginPath',
  );
  const { fail } = responder(onError, loggerOf(logger), 'the GoTo sign-in failed');

  const failed = (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (!res.headersSent) res.append('set-cookie', flow.clearCookie);
    fail(error, req, res, next);
  };

  const login = (req: Request, res: Response, next: NextFunction): void => {
    let extra: Omit<AuthorizationUrlOptions, 'state'> | undefined;
    try {
      extra = typeof authorization === 'function' ? authorization(req) : authorization;
    } catch (error) {
      next(error);
      return;
    }
    flow.start({ ...extra, returnTo: returnToOf(req) }).then(
      ({ url, setCookie }) => {
        res
          .status(302)
          .append('set-cookie', setCookie)
          .set({ location: url, 'cache-control': 'no-store' })
          .end();
      },
      (error: unknown) => failed(error, req, res, next),
    );
  };

  const callback = (req: Request, res: Response, next: NextFunction): void => {
    flow.finish(req.originalUrl ?? req.url, req.headers.cookie).then(
      (result) => {
        res.append('set-cookie', result.clearCookie).set('cache-control', 'no-store');
        const { principal, token, returnTo } = result;
        let done: unknown;
        try {
          done = onSignIn(req, res, { principal, token, returnTo });
        } catch (error) {
          next(error);
          return;
        }
        Promise.resolve(done).then(
          () => {
            if (!res.headersSent) res.status(302).set('location', returnTo).end();
          },
          (error: unknown) => next(error),
        );
      },
      (error: unknown) => failed(error, req, res, next),
    );
  };

  const handler: RequestHandler = (req, res, next) => {
    if (req.method === 'GET' && req.path === loginPath) {
      login(req, res, next);
      return;
    }
    if (req.method === 'GET' && req.path === callbackPath) {
      callback(req, res, next);
      return;
    }
    next();
  };
  return Object.assign(handler, { flow, loginPath, callbackPath });
}
