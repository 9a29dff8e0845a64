import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

export const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const BUILT_MAIN = fileURLToPath(new URL('../dist/main.mjs', import.meta.url));

/**
 * The test's environment without anything that changes the app's mode or address: a developer's
 * own GOTO_* credentials must never send the suite to real GoTo.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('GOTO_') || key === 'PORT' || key === 'HOST') continue;
    env[key] = value;
  }
  // Never the customary 9464: suites run side by side.
  return { ...env, METRICS_PORT: '0', ...extra };
}

export { freePort } from '@goto-auth/test-support/net';

/** A process started by a test, its output collected (colors stripped). */
export interface Started {
  child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function start(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Started {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += stripVTControlCharacters(chunk.toString());
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, output: () => output, exited };
}

/** Runs a process to its end. */
export async function run(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
) {
  const started = start(command, args, options);
  const { code, signal } = await started.exited;
  return { code, signal, output: started.output() };
}

/**
 * Waits for the app's "Listening on http://…" line and returns that URL; fails early with the
 * output when the process exits first.
 */
export async function listeningUrl(app: Started, timeoutMs = 45_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  app.exited.then(() => {
    exited = true;
  });
  for (;;) {
    const match = /Listening on (http:\/\/\S+)/.exec(app.output());
    if (match?.[1] !== undefined) return match[1];
    if (exited || Date.now() > deadline) {
      throw new Error(
        `The app ${exited ? 'exited' : 'did not listen in time'}. Output:\n${app.output()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The pid Nest prints in its log lines (`[Nest] 1234  - …`): the app process itself. */
export function nestPid(output: string): number {
  const match = /\[Nest\] (\d+)/.exec(output);
  if (match?.[1] === undefined) throw new Error(`No Nest log line in:\n${output}`);
  return Number(match[1]);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends `signal` and measures how long the process takes to exit. */
export async function stop(app: Started, signal: NodeJS.Signals = 'SIGTERM') {
  const started = performance.now();
  app.child.kill(signal);
  const result = await app.exited;
  return { ...result, ms: performance.now() - started };
}

/** Ends a process left running by a failed test. */
export function kill(app: Started | undefined): void {
  if (app !== undefined && app.child.exitCode === null && app.child.signalCode === null) {
    app.child.kill('SIGKILL');
  }
}

export async function getJson(url: string, init?: RequestInit) {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return {
    status: response.status,
    headers: response.headers,
    text,
    body: body as Record<string, unknown>,
  };
}
