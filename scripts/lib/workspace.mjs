// Shared by the release scripts: the public packages of the workspace, found by reading
// packages/*/package.json, so a new package is picked up without editing any list.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Every package under packages/ whose package.json is not `"private": true`, sorted by folder.
 * `ready` tells whether its source entry (src/index.ts) exists yet.
 */
export function publicPackages() {
  const dir = join(root, 'packages');
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'package.json')))
    .map((entry) => {
      const path = join(dir, entry.name);
      const manifest = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8'));
      return {
        dir: entry.name,
        path,
        name: manifest.name,
        manifest,
        ready: existsSync(join(path, 'src', 'index.ts')),
      };
    })
    .filter((pkg) => pkg.manifest.private !== true)
    .sort((a, b) => a.dir.localeCompare(b.dir));
}

/** Prints one notice per package whose src/index.ts does not exist yet; returns the others. */
export function readyPackages(tag, packages = publicPackages()) {
  for (const pkg of packages.filter((p) => !p.ready)) {
    console.log(
      `[${tag}] notice: skipping ${pkg.name}: packages/${pkg.dir}/src/index.ts does not exist yet`,
    );
  }
  return packages.filter((p) => p.ready);
}

/**
 * Runs a command without a shell. Resolves `{ code, stdout, stderr, timedOut, ms }`; never rejects.
 * `input` is written to stdin; `timeout` (ms) kills the whole process group.
 */
export function run(
  command,
  args,
  { cwd = root, env = process.env, timeout = 120_000, echo = false } = {},
) {
  return new Promise((resolvePromise) => {
    const started = Date.now();
    const child = spawn(command, args, {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (echo) process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (echo) process.stderr.write(chunk);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, timeout);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolvePromise({
        code: 127,
        stdout,
        stderr: `${stderr}${error.message}\n`,
        timedOut,
        ms: Date.now() - started,
      });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code: code ?? (signal ? 128 : 1),
        stdout,
        stderr,
        timedOut,
        ms: Date.now() - started,
      });
    });
  });
}
