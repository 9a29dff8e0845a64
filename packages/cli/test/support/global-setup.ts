/**
 * Installs the CLI the way a user gets it: builds it and the packages it depends on, `pnpm pack`s
 * each (which rewrites `workspace:` ranges) and installs the tarballs with npm into a temp dir
 * outside the workspace. The tests run that install's `goto-auth` binary.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

const root = resolve(import.meta.dirname, '../../../..');
const PACKAGES = ['core', 'emulator', 'redis', 'cli'];

declare module 'vitest' {
  export interface ProvidedContext {
    /** The installed `goto-auth` binary (node_modules/.bin/goto-auth in the temp project). */
    gotoAuthBin: string;
  }
}

function exec(command: string, args: string[], cwd: string): void {
  execFileSync(command, args, {
    cwd,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, npm_config_update_notifier: 'false' },
    timeout: 300_000,
  });
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'goto-auth-cli-'));
  const tarballs = join(dir, 'tarballs');
  mkdirSync(tarballs);
  exec(
    'pnpm',
    ['exec', 'turbo', 'run', 'build', '--filter=@goto-auth/cli...', '--output-logs=errors-only'],
    root,
  );
  for (const name of PACKAGES)
    exec('pnpm', ['pack', '--pack-destination', tarballs], join(root, 'packages', name));
  const dependencies: Record<string, string> = {};
  const overrides: Record<string, string> = {};
  for (const file of readdirSync(tarballs)) {
    const name = `@goto-auth/${file.replace(/^goto-auth-/, '').replace(/-\d+\.\d+\.\d+.*\.tgz$/, '')}`;
    dependencies[name] = `file:${join(tarballs, file)}`;
    overrides[name] = `$${name}`;
  }
  const app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'cli-consumer', private: true, dependencies, overrides }),
  );
  exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], app);
  project.provide('gotoAuthBin', join(app, 'node_modules', '.bin', 'goto-auth'));
  return () => rmSync(dir, { recursive: true, force: true });
}
