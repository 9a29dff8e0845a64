/** Per-test resources that clean themselves up after each test. */
import { createGoToAuth, type GoToAuth, type GoToAuthOptions } from '@goto-auth/core';
import {
  EMULATOR_DEFAULTS,
  type EmulatorOptions,
  type GoToEmulator,
  startEmulator,
} from '@goto-auth/emulator';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { afterEach } from 'vitest';
import {
  type RedisCluster,
  type RedisServer,
  startRedis,
  startRedisCluster,
} from './redis-server.ts';

const cleanups: Array<() => Promise<unknown> | unknown> = [];

/** Runs `fn` after the current test, last registered first. */
export function onCleanup(fn: () => Promise<unknown> | unknown): void {
  cleanups.push(fn);
}

afterEach(async () => {
  const errors: unknown[] = [];
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()?.();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw errors[0];
});

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

export async function emulator(options: EmulatorOptions = {}): Promise<GoToEmulator> {
  const emu = await startEmulator(options);
  onCleanup(() => emu.close());
  return emu;
}

export function auth(emu: GoToEmulator, options: Partial<GoToAuthOptions> = {}): GoToAuth {
  const instance = createGoToAuth({
    clientId: EMULATOR_DEFAULTS.clientId,
    clientSecret: EMULATOR_DEFAULTS.clientSecret,
    userId: EMULATOR_DEFAULTS.userId,
    password: EMULATOR_DEFAULTS.password,
    baseUrl: emu.url,
    logger: false,
    retry: { baseDelay: 20, maxDelay: 200 },
    ...options,
  });
  onCleanup(() => instance.close());
  return instance;
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
