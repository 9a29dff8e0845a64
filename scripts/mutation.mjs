#!/usr/bin/env node
/**
 * `pnpm test:mutation [package…] [--stryker-flag [value]…]` (e.g. `--concurrency 1`): StrykerJS
 * on each package in turn (default: core, redis and the adapters), then a summary in
 * apps/bench/MUTATION.md: the score per package and the surviving mutants by file. Incremental: a re-run tests only mutants whose code or tests
 * changed (reports/mutation/incremental.json in each package, not committed). HTML reports land
 * in packages/<name>/reports/mutation/index.html.
 *
 * Mutants listed in apps/bench/mutation-equivalent.json (`{ "<package>/<file>:<line> <mutator>":
 * "why it cannot be killed" }`) are shown as equivalent rather than as gaps.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const DEFAULT = ['core', 'redis', 'express', 'ky', 'axios', 'hono', 'fastify', 'nestjs'];
const TARGET = { core: 90, redis: 90 };
const ADAPTER_TARGET = 85;
// Flags (`--concurrency 1`) go to every Stryker run; the other arguments name packages. A flag
// takes the next argument as its value unless that one is a flag or a package name.
const args = process.argv.slice(2);
const isPackage = (arg) => existsSync(join(root, 'packages', arg, 'package.json'));
const flags = [];
const picked = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (!arg.startsWith('--')) {
    picked.push(arg);
    continue;
  }
  flags.push(arg);
  const next = args[i + 1];
  if (!arg.includes('=') && next !== undefined && !next.startsWith('--') && !isPackage(next)) {
    flags.push(next);
    i++;
  }
}
const names = picked.length > 0 ? picked : DEFAULT;
const equivalentFile = join(root, 'apps/bench/mutation-equivalent.json');
const equivalent = existsSync(equivalentFile)
  ? JSON.parse(readFileSync(equivalentFile, 'utf8'))
  : {};

const rows = [];
const survivors = [];
let failed = false;
for (const name of names) {
  const dir = join(root, 'packages', name);
  if (!existsSync(join(dir, 'stryker.config.mjs'))) {
    console.error(`packages/${name} has no stryker.config.mjs`);
    failed = true;
    continue;
  }
  const started = Date.now();
  const run = spawnSync('npx', ['stryker', 'run', ...flags], { cwd: dir, stdio: 'inherit' });
  const seconds = Math.round((Date.now() - started) / 1000);
  const reportFile = join(dir, 'reports/mutation/mutation.json');
  if (run.status !== 0 || !existsSync(reportFile)) {
    console.error(`Stryker failed in packages/${name}`);
    failed = true;
    rows.push({ name, seconds, failed: true });
    continue;
  }
  const report = JSON.parse(readFileSync(reportFile, 'utf8'));
  const count = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, other: 0, equivalent: 0 };
  for (const [file, { mutants }] of Object.entries(report.files)) {
    for (const mutant of mutants) {
      const id = `${name}/${file}:${mutant.location.start.line} ${mutant.mutatorName}`;
      const alive = mutant.status === 'Survived' || mutant.status === 'NoCoverage';
      if (alive && equivalent[id] !== undefined) {
        count.equivalent++;
        continue;
      }
      if (mutant.status in count) count[mutant.status]++;
      else count.other++;
      if (alive) {
        survivors.push({
          name,
          file,
          line: mutant.location.start.line,
          mutator: mutant.mutatorName,
          replacement: String(mutant.replacement ?? '')
            .replace(/\s+/g, ' ')
            .slice(0, 60),
          status: mutant.status,
        });
      }
    }
  }
  const detected = count.Killed + count.Timeout;
  const valid = detected + count.Survived + count.NoCoverage;
  const score = valid === 0 ? 100 : (100 * detected) / valid;
  rows.push({ name, seconds, count, score, target: TARGET[name] ?? ADAPTER_TARGET });
}

const lines = [
  '# Mutation testing',
  '',
  'Made by `pnpm test:mutation` (StrykerJS 9, vitest runner, in place, incremental). The score',
  'counts killed and timed-out mutants over all mutants that are not listed as equivalent in',
  '`mutation-equivalent.json`. HTML reports: `packages/<name>/reports/mutation/index.html`.',
  'An incremental run keeps the earlier result of static mutants (code run when a module loads)',
  'even when new tests would kill them: after adding tests, re-test with `--force`.',
  '',
  '| package | mutants | killed | survived | no coverage | equivalent | score | target | time |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
];
for (const row of rows) {
  if (row.failed) {
    lines.push(`| ${row.name} | – | – | – | – | – | run failed | – | ${row.seconds} s |`);
    continue;
  }
  const c = row.count;
  const total = c.Killed + c.Timeout + c.Survived + c.NoCoverage + c.other + c.equivalent;
  lines.push(
    `| ${row.name} | ${total} | ${c.Killed + c.Timeout} | ${c.Survived} | ${c.NoCoverage} | ${c.equivalent} | ${row.score.toFixed(1)}% | ≥ ${row.target}% | ${row.seconds} s |`,
  );
}
lines.push('', '## Surviving mutants by file', '');
if (survivors.length === 0) lines.push('None.');
const byFile = new Map();
for (const s of survivors) {
  const key = `${s.name}/${s.file}`;
  byFile.set(key, [...(byFile.get(key) ?? []), s]);
}
for (const [file, list] of byFile) {
  lines.push(
    `- \`${file}\` (${list.length}): ${list.map((s) => `${s.line} ${s.mutator}${s.status === 'NoCoverage' ? ' (no coverage)' : ''}`).join('; ')}`,
  );
}
const out = join(root, 'apps/bench/MUTATION.md');
// Packages not run this time keep their earlier rows out of the file: say which were run.
lines.push('', `Packages in this run: ${names.join(', ')}.`, '');
writeFileSync(out, lines.join('\n'));
// Tables padded as the bench's lint expects.
spawnSync('npx', ['biome', 'format', '--write', out], { cwd: root, stdio: 'ignore' });
console.log(
  `\n${lines.slice(8, 10 + rows.length).join('\n')}\n\nWritten to apps/bench/MUTATION.md`,
);
process.exit(failed ? 1 : 0);
