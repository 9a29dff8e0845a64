/** Per-test resources that clean themselves up after each test. */
import type { GoToAuth, GoToAuthOptions } from '@goto-auth/core';
import { EMULATOR_DEFAULTS, type GoToEmulator } from '@goto-auth/emulator';
import { onCleanup, auth as testAuth } from '@goto-auth/test-support';
import {
  type RedisCluster,
  type RedisServer,
  startRedis,
  startRedisCluster,
} from '@goto-auth/test-support/redis';
import { Cluster, Redis, type RedisOptions } from 'ioredis';

export { emulator, onCleanup, rejection } from '@goto-auth/test-support';

export async function redisServer(): Promise<RedisServer> {
  const server = await startRedis();
  onCleanup(() => server.close());
  return server;
}

export async function redisCluster(): Promise<RedisCluster> {
  const cluster = await startRedisCluster(3);
  onCleanup(() => cluster.close());
  return cluster;
}

/** An ioredis client that stays quiet about reconnects (the store reports them). */
export function redisClient(server: { port: number }, options: RedisOptions = {}): Redis {
  const client = new Redis({ host: '127.0.0.1', port: server.port, ...options });
  client.on('error', () => {});
  onCleanup(() => client.disconnect());
  return client;
}

export function clusterClient(cluster: RedisCluster): Cluster {
  const client = new Cluster(cluster.startupNodes);
  client.on('error', () => {});
  onCleanup(() => client.disconnect());
  return client;
}

export function auth(emu: GoToEmulator, options: Partial<GoToAuthOptions> = {}): GoToAuth {
  return testAuth(emu, { retry: { baseDelay: 20, maxDelay: 200 }, ...options });
}

/** The emulator's default credential, as core's `tokenStoreKey` wants it. */
export function credential(emu: GoToEmulator): {
  baseUrl: string;
  clientId: string;
  userId: string;
} {
  return {
    baseUrl: emu.url,
    clientId: EMULATOR_DEFAULTS.clientId,
    userId: EMULATOR_DEFAULTS.userId,
  };
}
