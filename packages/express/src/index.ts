export type { GoToAuthMiddlewareOptions } from './middleware.js';
export { goToAuth } from './middleware.js';
export type { GoToSignedIn, GoToSignInHandler, GoToSignInOptions } from './oauth.js';
export { goToSignIn, goToUser } from './oauth.js';
