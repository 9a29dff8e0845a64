#!/usr/bin/env node
// Consumer smoke tests: what a user gets from npm, checked the way a user would use it.
//
// Builds the public packages, `pnpm pack`s each (which rewrites `workspace:` ranges), installs
// the tarballs with npm into fresh projects under os.tmpdir() (outside the workspace, so nothing
// resolves from it), then checks, each in its own module under scripts/consumer-smoke/:
//   - tarball.mjs: no workspace: range left, README and LICENSE in, every file the manifest
//     points at present, every package the built code imports declared;
//   - programs.mjs: each package's fixtures/<folder>/run.ts runs in an ESM project (`import`)
//     and a CommonJS project (`require`) against a real @goto-auth/emulator; every bin runs;
//   - types.mjs: each package's fixtures/<folder>/types.ts type-checks under every module
//     setting a user may have;
//   - nest.mjs: fixtures/nestjs/app.ts compiles to CommonJS with decorator metadata and boots.
// The fixtures are real TypeScript files, linted with the scripts and type-checked against the
// workspace (`pnpm --filter @goto-auth/consumer-smoke typecheck`). Every public package
// (packages/*/package.json without "private": true) is covered; one whose src/index.ts does not
// exist yet is skipped with a notice. A package without an entry in consumers.mjs fails.
//
// Usage: node scripts/consumer-smoke.mjs [--no-build] [--keep] [--only core,ky]

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSUMERS } from './consumer-smoke/consumers.mjs';
import { counts, inParallel, Log, seconds, writeJson } from './consumer-smoke/log.mjs';
import { nestApp } from './consumer-smoke/nest.mjs';
import { runBins, runProgram } from './consumer-smoke/programs.mjs';
import { packAndInspect } from './consumer-smoke/tarball.mjs';
import { typeCheckTasks } from './consumer-smoke/types.mjs';
import { publicPackages, readyPackages, root, run } from './lib/workspace.mjs';

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const onlyIndex = argv.indexOf('--only');
const only = onlyIndex === -1 ? undefined : new Set((argv[onlyIndex + 1] ?? '').split(','));
const started = Date.now();

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** Resolves true once something accepts connections on the port (up to 5 s). */
async function waitForPort(port) {
  for (let i = 0; i < 50; i += 1) {
    const open = await new Promise((done) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.end();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (open) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const hasCommand = (name) =>
  (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, name)));

const workspaceManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
/** The version range a consumer would install for `name`, judged from our own manifests. */
function rangeFor(name, pkgs) {
  for (const pkg of pkgs) {
    const range = pkg.manifest.peerDependencies?.[name];
    if (range) return range;
  }
  for (const pkg of pkgs) {
    const range = pkg.manifest.devDependencies?.[name];
    if (range && !range.startsWith('workspace:')) return range;
  }
  return workspaceManifest.devDependencies?.[name] ?? 'latest';
}

/** A fresh npm project: package.json with the tarballs and third-party packages, then npm install. */
function npmProject(dir, { type, tarballs, deps }) {
  mkdirSync(dir, { recursive: true });
  const dependencies = { ...deps };
  const overrides = {};
  for (const [name, file] of Object.entries(tarballs)) {
    dependencies[name] = `file:${file}`;
    // Our packages depend on each other: always the local tarball, never the registry.
    overrides[name] = `$${name}`;
  }
  writeJson(join(dir, 'package.json'), {
    name: `goto-auth-consumer-${type}`,
    version: '0.0.0',
    private: true,
    type: type === 'esm' ? 'module' : 'commonjs',
    dependencies,
    overrides,
  });
  return run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'],
    {
      cwd: dir,
      timeout: 240_000,
      env: { ...process.env, npm_config_update_notifier: 'false' },
    },
  );
}

async function main() {
  const log = new Log();
  const all = publicPackages();
  let packages = readyPackages('consumers', all);
  if (only) packages = packages.filter((p) => only.has(p.dir) || only.has(p.name));
  // Every program runs against the emulator, and the adapters need core.
  for (const need of ['@goto-auth/emulator', '@goto-auth/core']) {
    const pkg = all.find((p) => p.name === need);
    if (!pkg?.ready) {
      log.fail(`${need} is needed by every check`, 'its package or src/index.ts is missing');
      return log.flush();
    }
    if (!packages.includes(pkg)) packages.unshift(pkg);
  }
  for (const pkg of packages.filter((p) => !CONSUMERS[p.name])) {
    log.fail(
      `fixtures ${pkg.name}`,
      'no entry in CONSUMERS (scripts/consumer-smoke/consumers.mjs): add one, and its fixtures',
    );
  }
  packages = packages.filter((p) => CONSUMERS[p.name]);

  // 1. Build (turbo's cache makes this quick after `pnpm build` or `pnpm check`).
  if (!flag('--no-build')) {
    const filters = packages.flatMap((p) => ['--filter', p.name]);
    const build = await run(
      'pnpm',
      ['exec', 'turbo', 'run', 'build', ...filters, '--output-logs=errors-only'],
      {
        timeout: 300_000,
      },
    );
    if (build.code !== 0) {
      log.failRun('build', build);
      return log.flush();
    }
    log.ok('build', seconds(build.ms));
  }
  log.flush();

  const tmp = mkdtempSync(join(tmpdir(), 'goto-auth-consumers-'));
  log.note(`work dir: ${tmp}`);
  let redis;
  try {
    // 2. Pack, and look at what was packed.
    const tarballs = {};
    for (const pkg of packages) {
      const file = await packAndInspect(pkg, tmp, log);
      if (file) tarballs[pkg.name] = file;
    }
    log.flush();
    if (!tarballs['@goto-auth/core'] || !tarballs['@goto-auth/emulator']) return;
    const packed = packages.filter((p) => tarballs[p.name]);
    const dep = (names) => {
      const deps = Object.fromEntries(names.map((n) => [n, rangeFor(n, packed)]));
      // @nestjs/terminus reaches typeorm through its optional peers, and typeorm's optional
      // peer is ioredis ^5: npm refuses ioredis 6 beside it (ERESOLVE), as it would in an app
      // with both. Both majors are in @goto-auth/redis's range, so a project that holds
      // terminus takes ioredis 5; the CLI's own dependency still brings ioredis 6.
      if (deps['@nestjs/terminus'] !== undefined && deps.ioredis !== undefined)
        deps.ioredis = '^5.4.0';
      return deps;
    };
    const peers = [...new Set(packed.flatMap((p) => CONSUMERS[p.name].peers ?? []))];
    const typings = [...new Set(packed.flatMap((p) => CONSUMERS[p.name].typings ?? []))];

    // 3. Fresh projects, installed side by side.
    const projects = {
      esm: { type: 'esm', tarballs, deps: dep(peers) },
      cjs: { type: 'cjs', tarballs, deps: dep(peers) },
      ts: { type: 'ts', tarballs, deps: dep([...peers, ...typings, '@types/node']) },
    };
    const nestPkg = packed.find((p) => CONSUMERS[p.name].nest);
    if (nestPkg) {
      projects.nest = {
        type: 'nest',
        tarballs: Object.fromEntries(
          [
            '@goto-auth/core',
            '@goto-auth/emulator',
            nestPkg.name,
            // Our packages it depends on (@goto-auth/axios, for its `http` subpath).
            ...Object.keys(nestPkg.manifest.dependencies ?? {}).filter((n) => tarballs[n]),
          ].map((n) => [n, tarballs[n]]),
        ),
        deps: dep([...(CONSUMERS[nestPkg.name].peers ?? []), '@types/node']),
      };
    }
    const installed = new Set();
    await inParallel(
      Object.entries(projects).map(([key, spec]) => async (taskLog) => {
        const result = await npmProject(join(tmp, key), spec);
        if (result.code !== 0) return taskLog.failRun(`npm install: ${key} project`, result);
        installed.add(key);
        taskLog.ok(`npm install: ${key} project`, seconds(result.ms));
      }),
      4,
    );

    // A real Redis for the store's round trip, when this machine has one.
    const env = { ...process.env };
    if (packed.some((p) => p.name === '@goto-auth/redis') && hasCommand('redis-server')) {
      const port = await freePort();
      redis = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        {
          stdio: 'ignore',
        },
      );
      if (await waitForPort(port)) env.SMOKE_REDIS_URL = `redis://127.0.0.1:${port}`;
    }

    // 4. The checks, two at a time (two cores): programs, bins, type checks, the Nest app.
    const tasks = [];
    for (const format of ['esm', 'cjs']) {
      if (!installed.has(format)) continue;
      tasks.push(async (taskLog) => {
        for (const pkg of packed) await runProgram(pkg, format, join(tmp, format), env, taskLog);
        if (format === 'esm') await runBins(packed, join(tmp, 'esm'), taskLog);
      });
    }
    if (installed.has('ts')) tasks.push(...typeCheckTasks(packed, join(tmp, 'ts')));
    if (installed.has('nest'))
      tasks.push((taskLog) => nestApp(nestPkg, join(tmp, 'nest'), taskLog));
    await inParallel(tasks, 2);
  } finally {
    redis?.kill();
    if (counts.failed === 0 && !flag('--keep')) rmSync(tmp, { recursive: true, force: true });
    else console.log(`     kept ${tmp} for a look`);
  }
}

await main().catch((error) => {
  console.error(error);
  counts.failed += 1;
});
console.log(`consumer smoke tests took ${seconds(Date.now() - started)}`);
console.log(`${counts.passed} passed, ${counts.failed} failed`);
process.exit(counts.failed > 0 ? 1 : 0);
