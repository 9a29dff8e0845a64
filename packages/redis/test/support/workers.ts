/** Spawns and drives worker processes (test/fixtures/worker.ts) over IPC. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WorkerConfig, WorkerMessage, WorkerReport } from './protocol.ts';

export const WORKER_FIXTURE = fileURLToPath(new URL('../fixtures/worker.ts', import.meta.url));

export interface Worker {
  readonly index: number;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every message received, in order. */
  readonly messages: WorkerMessage[];
  /** Resolves with the first message (already received or to come) that `match` accepts. */
  waitFor<T extends WorkerMessage['type']>(
    type: T,
    match?: (message: Extract<WorkerMessage, { type: T }>) => boolean,
    timeoutMs?: number,
  ): Promise<Extract<WorkerMessage, { type: T }>>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs a TypeScript fixture the way the workspace resolves packages: from their source. */
export function spawnTs(fixture: string, args: string[]): ChildProcess {
  return spawn(
    process.execPath,
    ['--conditions=@goto-auth/source', '--import', 'tsx', fixture, ...args],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
}

export function spawnWorker(index: number, config: WorkerConfig): Worker {
  const child = spawnTs(WORKER_FIXTURE, [JSON.stringify(config), String(index)]);
  const messages: WorkerMessage[] = [];
  const listeners = new Set<() => void>();
  child.on('message', (message: WorkerMessage) => {
    messages.push(message);
    for (const listener of listeners) listener();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      for (const listener of listeners) listener();
      resolve({ code, signal });
    });
  });
  return {
    index,
    child,
    get pid() {
      return child.pid ?? -1;
    },
    messages,
    exited,
    waitFor(type, match, timeoutMs = 30_000) {
      type M = Extract<WorkerMessage, { type: typeof type }>;
      const find = () =>
        messages.find((m): m is M => m.type === type && (match === undefined || match(m as M)));
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = find();
          if (found !== undefined) {
            done();
            resolve(found);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`worker ${index} exited before sending "${type}"`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`worker ${index} sent no "${type}" within ${timeoutMs} ms`));
        }, timeoutMs);
        function done() {
          clearTimeout(timer);
          listeners.delete(check);
        }
        listeners.add(check);
        check();
      });
    },
  };
}

/** A set of workers that share one configuration. */
export class Fleet {
  readonly workers: Worker[];

  constructor(count: number, config: WorkerConfig) {
    this.workers = Array.from({ length: count }, (_, index) => spawnWorker(index, config));
  }

  /** Waits until every worker has loaded, then starts them together. */
  async go(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.waitFor('ready', undefined, 60_000)));
    for (const worker of this.workers) worker.child.send({ type: 'go' });
  }

  alive(): Worker[] {
    return this.workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
  }

  /** Asks every live worker to stop and report; resolves with the reports once they exited. */
  async stop(): Promise<Map<number, WorkerReport>> {
    const alive = this.alive();
    for (const worker of alive) worker.child.send({ type: 'stop' });
    const reports = new Map<number, WorkerReport>();
    await Promise.all(
      alive.map(async (worker) => {
        const { report } = await worker.waitFor('report', undefined, 20_000);
        reports.set(worker.index, report);
        const exit = await worker.exited;
        if (exit.code !== 0) {
          throw new Error(`worker ${worker.index} exited with ${exit.code ?? exit.signal}`);
        }
      }),
    );
    return reports;
  }

  /** Kills whatever still runs. Safe to call twice. */
  async kill(): Promise<void> {
    await Promise.all(
      this.workers.map(async (worker) => {
        if (worker.child.exitCode === null && worker.child.signalCode === null) {
          worker.child.kill('SIGKILL');
          await worker.exited;
        }
      }),
    );
  }
}

/** Polls `condition` every 20 ms until it holds, or fails after `timeoutMs`. */
export async function until(
  condition: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
