import {
  type AuthorizationUrlOptions,
  type CallbackChecks,
  createGoToOAuth,
  createSignInFlow,
  type GetTokenOptions,
  type GoToAuth,
  type GoToAuthStatus,
  type GoToOAuth,
  type GoToSignIn,
  type GoToToken,
  type SignInFlow,
  type SignInResult,
  type SignInStart,
  type SignInStartOptions,
} from '@goto-auth/core';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { GoToOAuthModuleOptions } from './oauth-options.js';

/**
 * GoTo's OAuth for many users (core's `createGoToOAuth`), tied to the Nest application's
 * lifecycle: it closes in `onApplicationShutdown`, which `app.close()` runs. Nothing happens at
 * start: tokens exist once users sign in.
 *
 * `GoToOAuthModule` provides it; do not list it in your own `providers`.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class Calls {
 *   constructor(private readonly goto: GoToOAuthService) {}
 *   async headers(principal: string) {
 *     const { accessToken } = await this.goto.getToken(principal);
 *     return { authorization: `Bearer ${accessToken}` };
 *   }
 * }
 * ```
 */
@Injectable()
export class GoToOAuthService implements OnApplicationShutdown {
  /** The core object: for `baseUrl`, events (`oauth.on(...)`) and other integrations. */
  readonly oauth: GoToOAuth;
  /** The signed state cookie of the sign-in routes (core's `createSignInFlow`). */
  readonly flow: SignInFlow;

  constructor(options: GoToOAuthModuleOptions) {
    const { signIn, ...core } = options ?? {};
    const logger = new Logger('GoToOAuth');
    // Core's lines carry no secret; routing them through Nest keeps the app's log format.
    this.oauth = createGoToOAuth({
      ...core,
      logger: core.logger ?? {
        warn: (message) => logger.warn(message),
        error: (message) => logger.error(message),
      },
    });
    this.flow = createSignInFlow(this.oauth, signIn);
  }

  /** GoTo's API origin, for calls with a user's token. */
  get baseUrl(): string {
    return this.oauth.baseUrl;
  }

  /**
   * The principal's token: cached, else one refresh per principal across processes.
   * @throws `GoToAuthError` `LOGIN_REQUIRED` when the principal has no session (the
   * `GoToAuthExceptionFilter` answers it 401 problem+json); others as core's `getToken`
   */
  getToken(principal: string, options?: GetTokenOptions): Promise<GoToToken> {
    return this.oauth.getToken(principal, options);
  }

  /** The principal's fresh token when memory holds one, else `undefined`. No I/O. */
  cachedToken(principal: string): GoToToken | undefined {
    return this.oauth.cachedToken(principal);
  }

  /**
   * Says GoTo rejected the principal's `accessToken` (401, or 403 `InvalidToken`).
   * @returns whether the current token was dropped
   */
  invalidate(principal: string, accessToken: string): boolean {
    return this.oauth.invalidate(principal, accessToken);
  }

  /** Forgets the principal's tokens in memory and in the store. */
  signOut(principal: string): Promise<void> {
    return this.oauth.signOut(principal);
  }

  /** The principal's state in this process (no I/O, no secret), for health checks. */
  status(principal: string): GoToAuthStatus {
    return this.oauth.status(principal);
  }

  /** One principal's tokens shaped like a `GoToAuth`, for `goToFetch`, ky or axios. */
  forPrincipal(principal: string): GoToAuth {
    return this.oauth.forPrincipal(principal);
  }

  /** GoTo's authorization URL and its `state`, for a sign-in you keep the state of yourself. */
  authorizationUrl(options?: AuthorizationUrlOptions): {
    /** GoTo's authorization URL: send the browser there. */
    url: string;
    /** The `state` in that URL, to check the callback against. */
    state: string;
  } {
    return this.oauth.authorizationUrl(options);
  }

  /** Completes a sign-in whose `state` you kept yourself; see core's `handleCallback`. */
  handleCallback(callbackUrl: string | URL, checks: CallbackChecks): Promise<GoToSignIn> {
    return this.oauth.handleCallback(callbackUrl, checks);
  }

  /**
   * Starts a sign-in with the signed state cookie: redirect to `url` with `Set-Cookie: setCookie`.
   * What the login route runs.
   */
  startSignIn(options?: SignInStartOptions): Promise<SignInStart> {
    return this.flow.start(options);
  }

  /**
   * Finishes a sign-in: checks the state cookie, then exchanges the code. What the callback
   * route runs; send `clearCookie` with the answer.
   * @throws `GoToAuthError` `STATE_MISMATCH` (no exchange), `ACCESS_DENIED`, `INVALID_CALLBACK`…
   */
  finishSignIn(callbackUrl: string | URL, cookieHeader: string | undefined): Promise<SignInResult> {
    return this.flow.finish(callbackUrl, cookieHeader);
  }

  /** Nest hook: stops in-flight work. */
  async onApplicationShutdown(): Promise<void> {
    await this.oauth.close();
  }
}
