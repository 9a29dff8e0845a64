export type { GoToAuthErrorDetails } from './errors.js';
export { GoToAuthError, GoToAuthErrorCode, isGoToAuthError, isRetryable } from './errors.js';
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
export type { ProblemDetails, ProblemResponse } from './http.js';
export { isRejectedResponse, isTokenRejection, toProblem } from './http.js';
export { normalizeTokenResponse, REFRESH_TOKEN_LIFETIME_MS } from './normalize.js';
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
export { checkGoToUrl, DEFAULT_AUTH_URL, DEFAULT_BASE_URL } from './options.js';
export { parseRetryAfter } from './retry-after.js';
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
