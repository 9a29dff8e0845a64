import type {
  AuthorizationUrlOptions,
  GoToOAuthOptions,
  GoToToken,
  SignInFlowOptions,
} from '@goto-auth/core';
import type { ConfigurableModuleAsyncOptions } from '@nestjs/common';

/**
 * What {@link GoToOAuthModule} takes: the options of core's `createGoToOAuth`, plus the signed
 * state cookie of the sign-in routes. When `logger` is not given, core's warnings go to Nest's
 * `Logger`.
 */
export interface GoToOAuthModuleOptions extends GoToOAuthOptions {
  /**
   * The state cookie of the sign-in (core's `createSignInFlow` options: `secret`, `cookieName`,
   * `maxAgeSeconds`, `returnTo`).
   * @defaultValue `goto_auth_state`, 10 minutes, a key derived from the client secret, `/`
   */
  signIn?: SignInFlowOptions;
}

/** Who signed in, handed to {@link GoToOAuthRoutes.onSignIn}. */
export interface GoToSignedIn {
  /** The user GoTo named (`principal`, usually an email address): the key of their tokens. */
  principal: string;
  /** The user's token; its refresh token stays server-side in the store. */
  token: GoToToken;
  /** The checked local path to send the user to (the login route's `returnTo`, or the default). */
  returnTo: string;
}

/** The authorization URL's options a sign-in route may choose (the state is the flow's own). */
export type GoToSignInAuthorization = Omit<AuthorizationUrlOptions, 'state'>;

/**
 * The sign-in routes {@link GoToOAuthModule} mounts when `routes` is given: `GET <path>/login`
 * and `GET <path>/callback` (the redirect URI must point at the latter).
 *
 * @typeParam Req - the platform's request type (Express `Request`, `FastifyRequest`)
 * @typeParam Res - the platform's response type (Express `Response`, `FastifyReply`)
 */
export interface GoToOAuthRoutes<Req = unknown, Res = unknown> {
  /** The controller's path, such as `'auth/goto'` (after any global prefix). */
  path: string;
  /**
   * Runs after GoTo signed the user in, the state cookie checked and the code exchanged: put
   * `principal` into your app's session (regenerate the session id first). When the response
   * has not been sent by the time it returns (or its promise settles), the route redirects (302)
   * to `returnTo`. A throw goes to Nest's exception layer.
   */
  onSignIn(req: Req, res: Res, signedIn: GoToSignedIn): unknown;
  /** The authorization URL's options (`scope`, `params`), fixed or per request. */
  authorization?: GoToSignInAuthorization | ((req: Req) => GoToSignInAuthorization);
}

/**
 * Module-definition options. They decide which providers and controllers a registration
 * creates, so `forRootAsync` takes them beside `useFactory`, never from the factory's result.
 */
export interface GoToOAuthModuleExtras<Req = unknown, Res = unknown> {
  /**
   * Registers the module globally, so every module can inject `GoToOAuthService`.
   * @defaultValue `false`
   */
  isGlobal?: boolean;
  /**
   * Mounts the sign-in routes (login and callback). Leave out for no routes: then extend
   * `GoToOAuthController` under a `@Controller()` of your own, or use `GoToOAuthService`'s
   * `startSignIn` / `finishSignIn` in your own controller.
   * @defaultValue no routes
   */
  routes?: GoToOAuthRoutes<Req, Res>;
}

/** A class that `forRootAsync({ useClass })` or `{ useExisting }` asks for the options. */
export interface GoToOAuthOptionsFactory {
  /** Returns the module options (the core options plus `signIn`). */
  createGoToOAuthOptions(): GoToOAuthModuleOptions | Promise<GoToOAuthModuleOptions>;
}

/** What `GoToOAuthModule.forRootAsync` takes. */
export type GoToOAuthModuleAsyncOptions<
  Req = unknown,
  Res = unknown,
> = ConfigurableModuleAsyncOptions<GoToOAuthModuleOptions, 'createGoToOAuthOptions'> &
  GoToOAuthModuleExtras<Req, Res>;
