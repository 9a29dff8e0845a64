// The public names of @goto-auth/core. Types that a public signature names (the option, event,
// store and error detail types) are exported so users can name them too. Problem+json answers
// for servers are in the `@goto-auth/core/http` entry.
export type { GoToAuthErrorDetails } from './errors.js';
export { GoToAuthError, GoToAuthErrorCode, isGoToAuthError } from './errors.js';
export type {
  GoToAuthEvent,
  GoToAuthEventType,
  GoToAuthListener,
  GoToAuthLogger,
  GrantType,
  RefreshReason,
  TokenSource,
} from './events.js';
export type { FetchFunction, GoToFetchOptions } from './fetch.js';
export { goToFetch, goToOriginMatcher } from './fetch.js';
export { normalizeTokenResponse } from './normalize.js';
export type {
  AuthorizationUrlOptions,
  CallbackChecks,
  GoToOAuth,
  GoToSignIn,
} from './oauth.js';
export { createGoToOAuth } from './oauth.js';
export type {
  GoToAuthOptions,
  GoToClientOptions,
  GoToEndpointStyle,
  GoToOAuthOptions,
  GoToRetryOptions,
} from './options.js';
export { checkGoToUrl, DEFAULT_BASE_URL } from './options.js';
export { isRejectedResponse, isTokenRejection } from './rejection.js';
export type {
  SignInFlow,
  SignInFlowOptions,
  SignInResult,
  SignInStart,
  SignInStartOptions,
} from './sign-in.js';
export { createSignInFlow } from './sign-in.js';
export type { TokenStore, TokenStoreEntry, TokenStoreLock } from './store.js';
export { MemoryTokenStore, tokenStoreKey } from './store.js';
export type { TimerHandle, TimerProvider } from './timers.js';
export type { GoToToken } from './token.js';
export { deserializeToken, serializeToken } from './token.js';
export type { GetTokenOptions, GoToAuth, GoToAuthStatus, GoToTokenInfo } from './token-manager.js';
export { createGoToAuth } from './token-manager.js';
