export type { AttachGoToAuthOptions } from './interceptors.js';
export { attachGoToAuth } from './interceptors.js';
