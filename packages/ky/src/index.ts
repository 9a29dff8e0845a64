export type { GoToAuthHooksOptions } from './hooks.js';
export { goToAuthHooks } from './hooks.js';
