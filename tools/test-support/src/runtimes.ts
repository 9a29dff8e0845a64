/**
 * Runs bundled code in the JavaScript runtimes goto-auth supports: Node, Deno, Bun (one
 * process per script) and Cloudflare's workerd (a server that scripts talk to over HTTP). Each
 * binary comes from its npm package (`deno`, `bun`, `workerd`), installed with the lockfile.
 * A runtime that cannot start is an error, never a skip: CI must not go green without it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { build } from 'esbuild';

/** The runtimes a script runs in as a process of its own. */
export type ProcessRuntime = 'node' | 'deno' | 'bun';

const require = createRequire(import.meta.url);
const exe = process.platform === 'win32' ? '.exe' : '';

/** The path of a runtime's binary, from its npm package. Throws when it is not installed. */
export function runtimeBinary(runtime: ProcessRuntime | 'workerd'): string {
  if (runtime === 'node') return process.execPath;
  let path: string;
  try {
    if (runtime === 'workerd') {
      path = (require('workerd') as { default: string }).default;
    } else {
      const dir = dirname(require.resolve(`${runtime}/package.json`));
      path = runtime === 'deno' ? join(dir, `deno${exe}`) : join(dir, 'bin', 'bun.exe');
    }
  } catch (error) {
    throw new Error(
      `${runtime} is not installed: run pnpm install (its npm package ships the binary).`,
      { cause: error },
    );
  }
  if (!existsSync(path)) {
    throw new Error(
      `${runtime}: no binary at ${path}. Its postinstall script must run: is it in allowBuilds of pnpm-workspace.yaml?`,
    );
  }
  return path;
}

/**
 * Bundles `entry` and what it imports into one ES module, the way an application is bundled
 * for an edge runtime: esbuild, platform neutral (no Node built-in resolves). Workspace packages
 * resolve to their built `dist`, as they would from npm.
 */
export async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'neutral',
    format: 'esm',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error(`esbuild wrote nothing for ${entry}`);
  return output.text;
}

/** What a script printed, and how it ended. */
export interface ScriptResult {
  /** The exit code, or `null` when a signal ended it. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Whether it was killed because it had not exited within `timeout`. */
  timedOut: boolean;
}

function argsFor(runtime: ProcessRuntime, file: string, args: string[]): string[] {
  switch (runtime) {
    case 'node':
      return [file, ...args];
    case 'deno':
      // The least a GoTo client needs: the network, to loopback only here. No env, no files.
      return ['run', '--quiet', '--no-prompt', '--allow-net=127.0.0.1', file, ...args];
    case 'bun':
      return ['run', '--silent', file, ...args];
  }
}

/**
 * Runs an ES module `code` in `runtime` with `args`, and resolves once the process exits on its
 * own. One that is still running after `timeout` ms is killed (`timedOut`): for these scripts
 * that means a timer or socket kept it alive.
 */
export async function runScript(
  runtime: ProcessRuntime,
  code: string,
  args: string[],
  timeout = 20_000,
): Promise<ScriptResult> {
  const binary = runtimeBinary(runtime);
  const dir = mkdtempSync(join(tmpdir(), `goto-auth-${runtime}-`));
  const file = join(dir, 'script.mjs');
  writeFileSync(file, code);
  try {
    const child = spawn(binary, argsFor(runtime, file, args), {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NO_COLOR: '1',
        DENO_NO_UPDATE_CHECK: '1',
        DENO_DIR: join(dir, 'deno'),
        BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0',
      },
    });
    const stdout = collect(child.stdout);
    const stderr = collect(child.stderr);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeout);
    const code = await exited(child).finally(() => clearTimeout(timer));
    return { code, stdout: stdout(), stderr: stderr(), timedOut };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A running workerd. */
export interface Workerd {
  /** Its HTTP socket, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** What workerd wrote to stderr so far (uncaught errors, `console` output). */
  stderr(): string;
  /** Stops it and removes its files. */
  close(): Promise<void>;
}

/** Options of {@link startWorkerd}. */
export interface WorkerdOptions {
  /** Compatibility flags, such as `nodejs_compat`. Default: none. */
  compatibilityFlags?: string[];
  /** Text bindings, read by the worker as `env[name]`. */
  bindings?: Record<string, string>;
}

/**
 * Serves the module worker `code` (an ES module with a default export `{ fetch }`) with
 * workerd on a free loopback port. Its outbound `fetch` may reach loopback and private
 * addresses (workerd allows only public ones by default), so it can call an emulator here.
 */
export async function startWorkerd(code: string, options: WorkerdOptions = {}): Promise<Workerd> {
  const binary = runtimeBinary('workerd');
  const { compatibilityDate } = require('workerd') as { compatibilityDate: string };
  const dir = mkdtempSync(join(tmpdir(), 'goto-auth-workerd-'));
  writeFileSync(join(dir, 'worker.mjs'), code);
  const flags = (options.compatibilityFlags ?? []).map((f) => JSON.stringify(f)).join(', ');
  const bindings = Object.entries(options.bindings ?? {})
    .map(([name, text]) => `(name = ${JSON.stringify(name)}, text = ${JSON.stringify(text)})`)
    .join(', ');
  writeFileSync(
    join(dir, 'config.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [(name = "worker.mjs", esModule = embed "worker.mjs")],
  compatibilityDate = ${JSON.stringify(compatibilityDate)},
  compatibilityFlags = [${flags}],
  bindings = [${bindings}],
  globalOutbound = "internet",
);
`,
  );
  const child = spawn(binary, ['serve', 'config.capnp', '--control-fd=3'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  const stderr = collect(child.stderr);
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const done = exited(child);
      child.kill('SIGTERM');
      await done;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await listenPort(child, stderr);
    return { url: `http://127.0.0.1:${port}`, stderr, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Reads the port workerd reports on its control descriptor (fd 3) once it listens. */
function listenPort(child: ChildProcess, stderr: () => string): Promise<number> {
  const control = child.stdio[3] as Readable;
  return new Promise((resolve, reject) => {
    let text = '';
    const onExit = (code: number | null) =>
      reject(new Error(`workerd exited (${code}) before listening:\n${stderr()}`));
    child.once('exit', onExit);
    child.once('error', reject);
    control.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      // Whole lines only: a chunk may end inside one.
      for (const line of text.split('\n').slice(0, -1)) {
        if (!line.includes('"listen"')) continue;
        const message = JSON.parse(line) as { event: string; port: number };
        child.off('exit', onExit);
        resolve(message.port);
        return;
      }
    });
  });
}

function collect(stream: Readable | null): () => string {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    text += chunk;
  });
  return () => text;
}

/** Resolves the exit code once the process has ended and its output is read. */
function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
}
