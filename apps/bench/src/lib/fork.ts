import { type ChildProcess, fork } from 'node:child_process';
import { workerPath } from './children.ts';

const TSX = import.meta.resolve('tsx');

/**
 * Forks a long-lived worker (TypeScript through tsx) and resolves with its first message, once
 * it says it is ready.
 */
export async function startWorker<M>(
  name: string,
  args: string[] = [],
  execArgv: string[] = [],
): Promise<{ child: ChildProcess; ready: M; stop(): void }> {
  const child = fork(workerPath(name), args, {
    execArgv: [...execArgv, '--import', TSX],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<M>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`worker ${name} did not answer`));
    }, 120_000);
    child.once('message', (message: M) => {
      clearTimeout(timer);
      resolve(message);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker ${name} exited (${code})`));
    });
  });
  return {
    child,
    ready,
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    },
  };
}
