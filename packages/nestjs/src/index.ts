export type {
  GetTokenOptions,
  GoToAuth,
  GoToAuthStatus,
  GoToToken,
  SignInFlow,
} from '@goto-auth/core';
export { GoToAuthError, isGoToAuthError } from '@goto-auth/core';
export { GoToAuthExceptionFilter } from './filter.js';
export {
  GOTO_AUTH,
  GOTO_AUTH_MODULE_OPTIONS,
  getGoToAuthServiceToken,
  getGoToAuthToken,
  InjectGoToAuth,
  InjectGoToAuthService,
} from './injection-tokens.js';
export { GoToAuthModule } from './module.js';
export { GoToOAuthController } from './oauth-controller.js';
export { GOTO_OAUTH, GOTO_OAUTH_MODULE_OPTIONS, GoToOAuthModule } from './oauth-module.js';
export type {
  GoToOAuthModuleAsyncOptions,
  GoToOAuthModuleExtras,
  GoToOAuthModuleOptions,
  GoToOAuthOptionsFactory,
  GoToOAuthRoutes,
  GoToSignedIn,
  GoToSignInAuthorization,
} from './oauth-options.js';
export { GoToOAuthService } from './oauth-service.js';
export type {
  GoToAuthClientFactory,
  GoToAuthClientProvider,
  GoToAuthModuleAsyncOptions,
  GoToAuthModuleExtras,
  GoToAuthModuleOptions,
  GoToAuthOptionsFactory,
} from './options.js';
export { GoToAuthService } from './service.js';
