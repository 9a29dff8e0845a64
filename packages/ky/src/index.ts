export type { GoToAuthHooksOptions } from './hooks.js';
export { goToAuthHooks } from './hooks.js';
export type { GoToKyOptions } from './ky.js';
export { goToKy } from './ky.js';
