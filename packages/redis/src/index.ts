export type { EncryptionKey, EncryptionKeyMaterial, EncryptionKeyWithId } from './encryption.js';
export type { RedisTokenStoreClient, RedisTokenStoreOptions } from './store.js';
export { RedisTokenStore } from './store.js';
