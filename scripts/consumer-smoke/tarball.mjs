// What is in a tarball: packs one package and looks at it as npm will publish it.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { run } from '../lib/workspace.mjs';

/** Package names a built file imports or requires (not relative paths, not Node built-ins). */
function importedPackages(code) {
  const found = new Set();
  const patterns = [
    /\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) {
      const spec = match[1];
      if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) continue;
      const name = spec.startsWith('@')
        ? spec.split('/').slice(0, 2).join('/')
        : spec.split('/')[0];
      if (!builtinModules.includes(name)) found.add(name);
    }
  }
  return found;
}

/** Every file path a manifest points at (exports, main, module, types, bin). */
function manifestTargets(manifest) {
  const targets = new Set();
  const walk = (value) => {
    if (typeof value === 'string') {
      if (value.startsWith('./') && !value.includes('*')) targets.add(value);
    } else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(manifest.exports);
  for (const field of ['main', 'module', 'types', 'typings']) {
    if (typeof manifest[field] === 'string')
      targets.add(`./${manifest[field].replace(/^\.\//, '')}`);
  }
  walk(
    typeof manifest.bin === 'string'
      ? { bin: `./${manifest.bin.replace(/^\.\//, '')}` }
      : manifest.bin,
  );
  return [...targets];
}

/** Packs one package and looks at the tarball as npm will publish it. */
export async function packAndInspect(pkg, tmp, log) {
  const tarDir = join(tmp, 'tarballs', pkg.dir);
  mkdirSync(tarDir, { recursive: true });
  const packed = await run('pnpm', ['pack', '--pack-destination', tarDir], { cwd: pkg.path });
  const file = readdirSync(tarDir).find((f) => f.endsWith('.tgz'));
  if (packed.code !== 0 || !file) {
    log.failRun(`pack ${pkg.name}`, packed);
    return undefined;
  }
  const unpacked = join(tmp, 'unpacked', pkg.dir);
  mkdirSync(unpacked, { recursive: true });
  await run('tar', ['-xzf', join(tarDir, file), '-C', unpacked]);
  const base = join(unpacked, 'package');
  const manifestText = readFileSync(join(base, 'package.json'), 'utf8');
  const manifest = JSON.parse(manifestText);
  const problems = [];
  if (manifestText.includes('workspace:')) problems.push('a workspace: range is left');
  for (const required of ['README.md', 'LICENSE']) {
    if (!existsSync(join(base, required))) problems.push(`${required} is missing`);
  }
  const missing = manifestTargets(manifest).filter((target) => !existsSync(join(base, target)));
  if (missing.length > 0) problems.push(`not in the tarball: ${missing.join(', ')}`);
  // Every package a built file loads must be a dependency or a peer dependency.
  const declared = new Set([
    manifest.name,
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
  ]);
  const distDir = join(base, 'dist');
  const built = existsSync(distDir)
    ? readdirSync(distDir, { recursive: true }).filter((f) => /\.(mjs|cjs|js)$/.test(f))
    : [];
  if (built.length === 0) problems.push('dist has no JavaScript');
  const undeclared = new Set();
  for (const f of built) {
    for (const name of importedPackages(readFileSync(join(distDir, f), 'utf8'))) {
      if (!declared.has(name)) undeclared.add(`${name} (dist/${f})`);
    }
  }
  if (undeclared.size > 0)
    problems.push(`imports undeclared packages: ${[...undeclared].join(', ')}`);
  if (problems.length > 0) {
    log.fail(`pack ${pkg.name}`, problems.join('; '));
    return undefined;
  }
  log.ok(`pack ${pkg.name}`, file);
  return join(tarDir, file);
}
