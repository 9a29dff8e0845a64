export type { GoToAuthMiddlewareOptions } from './middleware.js';
export { goToAuth } from './middleware.js';
