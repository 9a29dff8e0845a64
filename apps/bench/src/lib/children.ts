import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Messages a worker sends its parent. */
export type WorkerMessage<R> =
  | { type: 'ready' }
  | { type: 'result'; result: R }
  | { type: 'error'; message: string };

const TSX = import.meta.resolve('tsx');

export function workerPath(name: string): string {
  return fileURLToPath(new URL(`../workers/${name}.ts`, import.meta.url));
}

/**
 * Starts `count` worker processes (TypeScript through tsx), waits until every one says it is
 * ready, then tells them all to go at once and collects one result from each.
 * Bounded: a worker that does not finish within `timeoutMs` is killed and the call fails.
 */
export async function runWorkers<R>(options: {
  name: string;
  count: number;
  /** The config each worker gets (as JSON in argv). */
  config: (index: number) => unknown;
  timeoutMs: number;
  execArgv?: string[];
}): Promise<R[]> {
  const children: ChildProcess[] = [];
  const results: Promise<R>[] = [];
  const ready: Promise<void>[] = [];
  const path = workerPath(options.name);
  for (let index = 0; index < options.count; index++) {
    const child = fork(path, [JSON.stringify(options.config(index))], {
      execArgv: [...(options.execArgv ?? []), '--import', TSX],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    let onReady!: () => void;
    ready.push(new Promise<void>((resolve) => (onReady = resolve)));
    results.push(
      new Promise<R>((resolve, reject) => {
        child.on('message', (message: WorkerMessage<R>) => {
          if (message.type === 'ready') onReady();
          else if (message.type === 'result') resolve(message.result);
          else reject(new Error(`worker ${options.name}#${index}: ${message.message}`));
        });
        child.on('exit', (code) =>
          reject(new Error(`worker ${options.name}#${index} exited (${code}) without a result`)),
        );
        child.on('error', reject);
      }),
    );
  }
  const killAll = () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  };
  const timer = setTimeout(killAll, options.timeoutMs);
  // Failures after an early one are expected (the rest get killed): keep them handled.
  for (const result of results) result.catch(() => {});
  try {
    const failedEarly = Promise.race(
      results.map((r) => r.then(() => new Promise<never>(() => {}))),
    );
    await Promise.race([Promise.all(ready), failedEarly]);
    const at = Date.now() + 200;
    for (const child of children) child.send({ type: 'go', at });
    return await Promise.all(results);
  } finally {
    clearTimeout(timer);
    killAll();
  }
}

/** In a worker: its config, and the hand-shake with the parent. */
export function workerConfig<T>(): T {
  return JSON.parse(process.argv[2] ?? '{}') as T;
}

/** Says ready, then resolves at the moment the parent chose for every worker to start. */
export function readyAndWait(): Promise<void> {
  return new Promise((resolve) => {
    process.on('message', (message: { type: string; at: number }) => {
      if (message.type === 'go') setTimeout(resolve, Math.max(0, message.at - Date.now()));
    });
    process.send?.({ type: 'ready' });
  });
}

export function sendResult(result: unknown): void {
  process.send?.({ type: 'result', result }, () => process.exit(0));
}

export function sendError(error: unknown): void {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.send?.({ type: 'error', message }, () => process.exit(1));
}
