export type {
  GoToAuthNamespaces,
  GoToAuthPluginCommonOptions,
  GoToAuthPluginOptions,
} from './plugin.js';
export { goToAuthPlugin } from './plugin.js';
