import { isGoToAuthError, type TokenStore } from '@goto-auth/core';
import { RedisTokenStore } from '@goto-auth/redis';
import { Redis } from 'ioredis';
import { CliError, EXIT_CODES, type StoreSettings } from './config.js';

/** A connected store and how to let it go. */
export interface OpenStore {
  store: TokenStore;
  close(): Promise<void>;
}

/**
 * Connects to Redis and builds the store as the application does. Fails fast (no reconnect
 * loop): a CLI that cannot reach the store must stop, never mint without it.
 */
export async function openStore(settings: StoreSettings): Promise<OpenStore> {
  let store: RedisTokenStore;
  const client = new Redis(settings.url, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  // ioredis reports connection errors as events too; the awaited connect() below carries them.
  client.on('error', () => {});
  try {
    store = new RedisTokenStore({
      client,
      ...(settings.keyPrefix === undefined ? {} : { keyPrefix: settings.keyPrefix }),
      ...(settings.encryptionKey === undefined ? {} : { encryptionKey: settings.encryptionKey }),
    });
  } catch (error) {
    client.disconnect();
    const reason = isGoToAuthError(error) ? error.message.replace(/"encryptionKey"/, '') : '';
    throw new CliError(`GOTO_TOKEN_KEY is unusable: ${reason}`.trim(), EXIT_CODES.CONFIG_INVALID);
  }
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError(
      `Cannot reach Redis at ${settings.display} (${reason}). Nothing was minted.`,
      EXIT_CODES.STORE_UNAVAILABLE,
    );
  }
  return {
    store,
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
