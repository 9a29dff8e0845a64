export type {
  GoToAuthBindings,
  GoToAuthEnv,
  GoToAuthMiddlewareOptions,
  GoToAuthSource,
  GoToAuthVariables,
} from './middleware.js';
export { goToAuth, goToAuthFromEnv } from './middleware.js';
