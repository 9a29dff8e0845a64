#!/usr/bin/env node
// Proves that `pnpm changeset version` turns the pending changesets into the release we expect,
// without touching this working tree: it copies the working tree (tracked and untracked files,
// not ignored ones) to a temporary folder, installs it offline from the pnpm store, runs
// `changeset version` there and checks the result:
//   - every package named in a changeset gets the expected version (the highest bump asked);
//   - packages that depend on a bumped package are bumped too, and their changelog says so;
//   - ignored and private apps keep their versions;
//   - each bumped package has a CHANGELOG.md whose newest entry is the new version, with the
//     changesets' summaries in it; the changeset files are consumed;
//   - `pnpm pack` of each bumped package publishes its internal dependencies as ^<new version>.
// With no pending changeset (right after a release) it writes a patch changeset for
// @goto-auth/core in the copy, so the machinery is still proven.
//
// Usage: node scripts/changeset-dry-run.mjs [--keep] [--without-pending]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { root, run } from './lib/workspace.mjs';

const keep = process.argv.includes('--keep');
const started = Date.now();
let passed = 0;
let failed = 0;
const check = (ok, label, detail = '') => {
  if (ok) passed += 1;
  else failed += 1;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}${detail ? ` (${detail})` : ''}`);
  return ok;
};
const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const BUMPS = ['patch', 'minor', 'major'];

function bump(version, type) {
  const [major, minor, patch] = version.split('-')[0].split('.').map(Number);
  if (type === 'major') return `${major + 1}.0.0`;
  if (type === 'minor') return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

/** Every workspace package (packages/* and apps/*) of a tree: name → { dir, manifest }. */
function workspacePackages(tree) {
  const found = {};
  for (const group of ['packages', 'apps']) {
    const groupDir = join(tree, group);
    if (!existsSync(groupDir)) continue;
    for (const name of readdirSync(groupDir)) {
      const file = join(groupDir, name, 'package.json');
      if (!existsSync(file)) continue;
      const manifest = readJson(file);
      found[manifest.name] = { dir: join(groupDir, name), rel: `${group}/${name}`, manifest };
    }
  }
  return found;
}

/** Pending changesets of a tree: [{ file, releases: { name: bump }, summary }]. */
function pendingChangesets(tree) {
  const dir = join(tree, '.changeset');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md') && f.toLowerCase() !== 'readme.md')
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      const match = text.match(/^---\r?\n([\s\S]*?)\r?\n---\r?\n([\s\S]*)$/);
      const releases = {};
      for (const line of (match?.[1] ?? '').split('\n')) {
        const release = line.match(/^\s*["']?([^"':]+)["']?\s*:\s*(patch|minor|major)\s*$/);
        if (release) releases[release[1]] = release[2];
      }
      return { file, releases, summary: (match?.[2] ?? '').trim() };
    });
}

/** A fingerprint of what `changeset version` would change, to prove this tree is left alone. */
function fingerprint(tree) {
  const hash = createHash('sha256');
  const dir = join(tree, '.changeset');
  for (const f of existsSync(dir) ? readdirSync(dir).sort() : [])
    hash.update(f).update(readFileSync(join(dir, f)));
  for (const pkg of Object.values(workspacePackages(tree))) {
    hash.update(readFileSync(join(pkg.dir, 'package.json')));
    const changelog = join(pkg.dir, 'CHANGELOG.md');
    if (existsSync(changelog)) hash.update(readFileSync(changelog));
  }
  return hash.digest('hex');
}

/** Copies the working tree as git sees it (tracked + untracked, minus ignored) to `dest`. */
function copyWorkingTree(dest) {
  let files;
  try {
    files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    })
      .split('\0')
      .filter(Boolean);
  } catch {
    files = undefined;
  }
  if (files === undefined) {
    // Not a git checkout: copy everything but installs and build output.
    const skip = new Set(['node_modules', '.git', 'dist', '.turbo', 'docs']);
    cpSync(root, dest, { recursive: true, filter: (src) => !skip.has(src.split('/').pop()) });
    return;
  }
  for (const file of files) {
    const from = join(root, file);
    if (!existsSync(from)) continue; // deleted in the working tree, not yet in the index
    mkdirSync(dirname(join(dest, file)), { recursive: true });
    cpSync(from, join(dest, file));
  }
}

async function main() {
  const before = fingerprint(root);
  const copy = mkdtempSync(join(tmpdir(), 'goto-auth-changesets-'));
  console.log(`     copy: ${copy}`);
  try {
    copyWorkingTree(copy);
    const config = readJson(join(copy, '.changeset', 'config.json'));
    const ignored = new Set(config.ignore ?? []);
    let changesets = pendingChangesets(copy);
    if (process.argv.includes('--without-pending')) {
      // As right after a release: prove the fallback below.
      for (const { file } of changesets) rmSync(join(copy, '.changeset', file));
      changesets = [];
    }
    if (changesets.length === 0) {
      console.log(
        '     notice: no pending changeset; proving the machinery with a patch for @goto-auth/core',
      );
      writeFileSync(
        join(copy, '.changeset', 'dry-run-core.md'),
        '---\n"@goto-auth/core": patch\n---\n\nDry run.\n',
      );
      changesets = pendingChangesets(copy);
    }
    for (const changeset of changesets) {
      check(
        Object.keys(changeset.releases).length > 0 && changeset.summary !== '',
        `changeset ${changeset.file} names packages and has a summary`,
      );
    }

    const pkgsBefore = workspacePackages(copy);
    // The highest bump asked for each package.
    const asked = {};
    for (const { releases } of changesets) {
      for (const [name, type] of Object.entries(releases)) {
        check(Boolean(pkgsBefore[name]), `changeset names a workspace package: ${name}`);
        if (!asked[name] || BUMPS.indexOf(type) > BUMPS.indexOf(asked[name])) asked[name] = type;
      }
    }

    // Installed from the store (offline), so `pnpm pack` can resolve workspace: ranges.
    const install = await run(
      'pnpm',
      ['install', '--offline', '--frozen-lockfile', '--reporter=silent'],
      {
        cwd: copy,
        timeout: 180_000,
      },
    );
    if (!check(install.code === 0, 'pnpm install --offline --frozen-lockfile in the copy')) {
      console.log(`${install.stdout}${install.stderr}`.trim());
      return;
    }
    const version = await run('pnpm', ['exec', 'changeset', 'version'], {
      cwd: copy,
      timeout: 120_000,
    });
    if (!check(version.code === 0, 'pnpm changeset version')) {
      console.log(`${version.stdout}${version.stderr}`.trim());
      return;
    }

    const pkgsAfter = workspacePackages(copy);
    check(pendingChangesets(copy).length === 0, 'the changeset files were consumed');

    // Which packages must move: those asked, then (repeatedly) their public dependents.
    const expected = {};
    for (const [name, type] of Object.entries(asked))
      expected[name] = bump(pkgsBefore[name].manifest.version, type);
    for (let changed = true; changed; ) {
      changed = false;
      for (const [name, pkg] of Object.entries(pkgsBefore)) {
        if (expected[name] || ignored.has(name) || pkg.manifest.private) continue;
        const internal = Object.keys(pkg.manifest.dependencies ?? {}).filter(
          (dep) => expected[dep],
        );
        if (internal.length > 0) {
          expected[name] = bump(pkg.manifest.version, 'patch');
          changed = true;
        }
      }
    }

    for (const [name, pkg] of Object.entries(pkgsAfter)) {
      const old = pkgsBefore[name].manifest.version;
      const now = pkg.manifest.version;
      if (!expected[name]) {
        check(now === old, `${name} stays at ${old}`, now === old ? '' : `got ${now}`);
        continue;
      }
      check(
        now === expected[name],
        `${name} ${old} -> ${expected[name]}`,
        now === expected[name] ? '' : `got ${now}`,
      );

      const changelogFile = join(pkg.dir, 'CHANGELOG.md');
      if (!check(existsSync(changelogFile), `${name} CHANGELOG.md exists`)) continue;
      const changelog = readFileSync(changelogFile, 'utf8');
      const newest = changelog.match(/^## (.+)$/m)?.[1]?.trim();
      check(
        newest === now,
        `${name} CHANGELOG.md starts with ## ${now}`,
        newest === now ? '' : `found ${newest}`,
      );
      const entry = changelog.slice(changelog.indexOf(`## ${now}`)).split(/^## /m)[1] ?? '';
      for (const changeset of changesets.filter((c) => c.releases[name])) {
        const firstLine = changeset.summary.split('\n')[0].slice(0, 60);
        check(
          entry.includes(firstLine),
          `${name} CHANGELOG.md has the summary of ${changeset.file}`,
        );
      }
      const bumpedDeps = Object.keys(pkgsBefore[name].manifest.dependencies ?? {}).filter(
        (dep) => expected[dep],
      );
      for (const dep of bumpedDeps) {
        check(
          entry.includes(`${dep}@${expected[dep]}`),
          `${name} CHANGELOG.md lists the update of ${dep} to ${expected[dep]}`,
        );
      }
    }

    // What npm would get: internal dependencies as ^<new version>, no workspace: left.
    const packDir = join(copy, '.tmp', 'packed');
    mkdirSync(packDir, { recursive: true });
    for (const [name, pkg] of Object.entries(pkgsAfter)) {
      if (!expected[name] || pkg.manifest.private) continue;
      const internal = Object.keys(pkg.manifest.dependencies ?? {}).filter((dep) => pkgsAfter[dep]);
      if (internal.length === 0) continue;
      const dest = join(packDir, pkg.rel.replace('/', '-'));
      mkdirSync(dest, { recursive: true });
      const packed = await run('pnpm', ['pack', '--pack-destination', dest], {
        cwd: pkg.dir,
        timeout: 60_000,
      });
      const tarball = readdirSync(dest).find((f) => f.endsWith('.tgz'));
      if (!check(packed.code === 0 && Boolean(tarball), `pnpm pack ${name}`)) continue;
      const text = execFileSync('tar', ['-xOzf', join(dest, tarball), 'package/package.json'], {
        encoding: 'utf8',
      });
      const manifest = JSON.parse(text);
      check(!text.includes('workspace:'), `${name} packs with no workspace: range`);
      for (const dep of internal) {
        const want = `^${pkgsAfter[dep].manifest.version}`;
        const got = manifest.dependencies?.[dep];
        check(got === want, `${name} publishes ${dep}@${want}`, got === want ? '' : `got ${got}`);
      }
    }
  } finally {
    check(fingerprint(root) === before, 'this working tree was not touched');
    if (failed === 0 && !keep) rmSync(copy, { recursive: true, force: true });
    else console.log(`     kept ${copy} for a look`);
  }
}

await main().catch((error) => {
  console.error(error);
  failed += 1;
});
console.log(`changeset dry run took ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
