/**
 * Real, throwaway Redis servers for tests and benchmarks (`@goto-auth/test-support/redis`):
 * each on a free port, in its own temp dir, with persistence off. Never the system Redis on 6379.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.ts';

const SERVER_BIN = process.env.REDIS_SERVER_BIN ?? 'redis-server';
const CLI_BIN = process.env.REDIS_CLI_BIN ?? 'redis-cli';

/** Fails loudly rather than skip: CI must run the Redis suites, so a missing binary is an error. */
export function requireBinary(bin: string, aptPackage: string): void {
  const probe = spawnSync(bin, ['--version'], { stdio: 'ignore' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      `${bin} is not installed (needed by the Redis tests and benchmarks). Install it with: sudo apt-get install -y ${aptPackage} (or run node scripts/ensure-system-deps.mjs).`,
    );
  }
}

/** One redis-server process. */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** The server's process, while it runs. */
  readonly process: ChildProcess | undefined;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s). Its data is gone: persistence is off. */
  stop(): Promise<void>;
  /** Kills the server at once (SIGKILL), as a crash would, and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory. */
  start(): Promise<void>;
  /** Stops it and removes its directory. Idempotent. */
  close(): Promise<void>;
}

export interface StartRedisOptions {
  /** Extra `redis-server` arguments (`['--cluster-enabled', 'yes', …]`). */
  args?: (dir: string, port: number) => string[];
  /** Needs the cluster bus port (+10000) free as well. */
  clusterBus?: boolean;
  /** The binary to run. @defaultValue `REDIS_SERVER_BIN` or `'redis-server'` */
  bin?: string;
}

function waitForReady(child: ChildProcess, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`redis-server on port ${port} did not start in 10 s:\n${output}`));
    }, 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(
        new Error(`redis-server on port ${port} exited (${code}) before it was ready:\n${output}`),
      );
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    function cleanup() {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      // Keep draining the pipe so a chatty server never blocks on a full buffer.
      child.stdout?.resume();
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts a hermetic redis-server on a free port. */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const bin = options.bin ?? SERVER_BIN;
  requireBinary(bin, 'redis-server');
  const dir = await mkdtemp(join(tmpdir(), 'goto-auth-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;
  let closed = false;

  const launch = async (): Promise<void> => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
      ...(options.args?.(dir, port) ?? []),
    ];
    const started = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    child = started;
    await waitForReady(started, port);
  };

  /** Signals the server and waits for it to exit; SIGTERM turns into SIGKILL after 5 s. */
  const halt = async (signal: 'SIGTERM' | 'SIGKILL'): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined) return;
    const done = exited(running);
    running.kill(signal);
    const killer = setTimeout(() => running.kill('SIGKILL'), 5000);
    await done;
    clearTimeout(killer);
  };

  const server: RedisServer = {
    get port() {
      return port;
    },
    get url() {
      return `redis://127.0.0.1:${port}`;
    },
    get process() {
      return child;
    },
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    async start() {
      if (closed) throw new Error('This redis-server was closed.');
      if (child === undefined) await launch();
    },
    async close() {
      if (closed) return;
      closed = true;
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };

  for (let attempt = 1; ; attempt++) {
    port = await freePort({ clusterBus: options.clusterBus });
    try {
      await launch();
      return server;
    } catch (error) {
      child = undefined;
      // Another program took the port between the probe and the bind: try another one.
      if (attempt >= 3 || !String(error).includes('Address already in use')) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

/** A Redis Cluster of masters without replicas. */
export interface RedisCluster {
  readonly nodes: readonly RedisServer[];
  /** `[{ host, port }]`, for `new Cluster(startupNodes)`. */
  readonly startupNodes: { host: string; port: number }[];
  close(): Promise<void>;
}

function run(bin: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error !== null)
        reject(
          new Error(`${bin} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`),
        );
      else resolve(stdout);
    });
  });
}

/**
 * Starts `size` redis-server nodes with `--cluster-enabled yes`, joins them with
 * `redis-cli --cluster create`, and waits until every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(size = 3): Promise<RedisCluster> {
  requireBinary(CLI_BIN, 'redis-tools');
  const nodes: RedisServer[] = [];
  const close = async () => {
    await Promise.all(nodes.map((node) => node.close()));
  };
  try {
    for (let i = 0; i < size; i++) {
      nodes.push(
        await startRedis({
          clusterBus: true,
          args: (dir, port) => [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(dir, `nodes-${port}.conf`),
            '--cluster-node-timeout',
            '5000',
          ],
        }),
      );
    }
    await run(CLI_BIN, [
      '--cluster',
      'create',
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    const deadline = Date.now() + 30_000;
    for (const node of nodes) {
      for (;;) {
        const info = await run(CLI_BIN, ['-p', String(node.port), 'cluster', 'info']);
        if (info.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) {
          throw new Error(`The cluster never reached cluster_state:ok:\n${info}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    nodes,
    startupNodes: nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
    close,
  };
}
