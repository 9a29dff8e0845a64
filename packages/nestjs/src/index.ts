export type { GetTokenOptions, GoToAuth, GoToAuthStatus, GoToToken } from '@goto-auth/core';
export { GoToAuthError, isGoToAuthError } from '@goto-auth/core';
export { GoToAuthExceptionFilter } from './filter.js';
export { GoToAuthModule } from './module.js';
export type {
  GoToAuthClientFactory,
  GoToAuthClientProvider,
  GoToAuthModuleAsyncOptions,
  GoToAuthModuleExtras,
  GoToAuthModuleOptions,
  GoToAuthOptionsFactory,
} from './options.js';
export { GoToAuthService } from './service.js';
export {
  GOTO_AUTH,
  GOTO_AUTH_MODULE_OPTIONS,
  getGoToAuthServiceToken,
  getGoToAuthToken,
  InjectGoToAuth,
  InjectGoToAuthService,
} from './tokens.js';
