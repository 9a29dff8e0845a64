#!/usr/bin/env node
// Run first by `pnpm release`: refuses to publish what was not versioned. `changeset publish`
// publishes every public package whose version is not on npm yet, so publishing before
// `pnpm changeset version` would ship 0.0.0, or the old version with new code.
// With --dry (`pnpm release:dry`) the same findings are printed as warnings only.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { publicPackages, root } from './lib/workspace.mjs';

const dry = process.argv.includes('--dry');
const problems = [];

const changesetDir = join(root, '.changeset');
const pending = existsSync(changesetDir)
  ? readdirSync(changesetDir).filter((f) => f.endsWith('.md') && f.toLowerCase() !== 'readme.md')
  : [];
if (pending.length > 0) {
  problems.push(
    `${pending.length} changeset(s) not versioned yet (${pending.join(', ')}): run \`pnpm changeset version\`, review and commit first`,
  );
}
for (const pkg of publicPackages()) {
  if (pkg.manifest.version === '0.0.0') problems.push(`${pkg.name} is at 0.0.0`);
  if (!pkg.ready) problems.push(`${pkg.name} has no src/index.ts`);
}
try {
  const status = execFileSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8' });
  if (status.trim() !== '')
    problems.push('the working tree has uncommitted changes: publish from a clean checkout');
} catch {
  problems.push('not a git checkout: publish from a clone, so changesets can tag the release');
}

for (const problem of problems) console.log(`[release] ${dry ? 'warning' : 'error'}: ${problem}`);
if (problems.length === 0) console.log('[release] versioned and clean: ready to publish');
process.exit(problems.length > 0 && !dry ? 1 : 0);
