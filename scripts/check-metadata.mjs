#!/usr/bin/env node
// Checks the npm metadata of every public package (packages/*/package.json without
// "private": true) before it is published: what npm shows, what it installs and what it
// warns about. Run by `pnpm check`; prints one line per package and exits non-zero on a gap.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { publicPackages, root } from './lib/workspace.mjs';

// Frameworks and clients an adapter plugs into: the application brings its own copy, so they
// are peer dependencies (a second copy would break `instanceof`, DI tokens and decorators).
const FRAMEWORKS = [
  'ky',
  'axios',
  '@nestjs/axios',
  'express',
  '@nestjs/common',
  '@nestjs/core',
  'ioredis',
  'rxjs',
  'reflect-metadata',
  '@nestjs/terminus',
  '@opentelemetry/api',
  'hono',
  'fastify',
];
const CORE = '@goto-auth/core';

const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const rootLicense = existsSync(join(root, 'LICENSE'))
  ? readFileSync(join(root, 'LICENSE'), 'utf8')
  : undefined;

const nonEmptyString = (value) => typeof value === 'string' && value.trim() !== '';

/** Package names imported by the package's source (type-only imports count: users need the types). */
function sourceImports(dir) {
  const names = new Set();
  const srcDir = join(dir, 'src');
  if (!existsSync(srcDir)) return names;
  for (const file of readdirSync(srcDir, { recursive: true })) {
    if (!/\.(ts|mts|cts)$/.test(file) || /\.test(-d)?\.ts$/.test(file)) continue;
    const code = readFileSync(join(srcDir, file), 'utf8');
    for (const match of code.matchAll(/\b(?:from|import|require\()\s*\(?\s*['"]([^'"]+)['"]/g)) {
      const spec = match[1];
      if (spec.startsWith('.') || spec.startsWith('node:')) continue;
      const name = spec.startsWith('@')
        ? spec.split('/').slice(0, 2).join('/')
        : spec.split('/')[0];
      if (!builtinModules.includes(name)) names.add(name);
    }
  }
  return names;
}

function check(pkg) {
  const m = pkg.manifest;
  const problems = [];
  const need = (ok, message) => {
    if (!ok) problems.push(message);
  };

  need(m.name?.startsWith('@goto-auth/'), 'name must be in the @goto-auth scope');
  need(/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(m.version ?? ''), 'version must be semver');
  need(nonEmptyString(m.description), 'description is missing');
  need(
    Array.isArray(m.keywords) && m.keywords.length > 0 && m.keywords.every(nonEmptyString),
    'keywords are missing',
  );
  need(nonEmptyString(m.license), 'license is missing');
  need(
    m.license === rootManifest.license,
    `license should be ${rootManifest.license}, as the root's`,
  );
  need(nonEmptyString(m.author) || nonEmptyString(m.author?.name), 'author is missing');

  const repo = m.repository;
  need(typeof repo === 'object' && nonEmptyString(repo?.url), 'repository.url is missing');
  need(repo?.type === 'git', 'repository.type should be "git"');
  need(
    repo?.directory === `packages/${pkg.dir}`,
    `repository.directory should be "packages/${pkg.dir}"`,
  );
  need(
    nonEmptyString(m.homepage) && m.homepage.includes(`packages/${pkg.dir}`),
    `homepage is missing or does not point at packages/${pkg.dir}`,
  );
  need(nonEmptyString(m.bugs?.url ?? m.bugs), 'bugs is missing');
  need(nonEmptyString(m.engines?.node), 'engines.node is missing');
  need(
    m.engines?.node === undefined || m.engines.node === rootManifest.engines?.node,
    `engines.node should match the root's (${rootManifest.engines?.node})`,
  );

  need(Array.isArray(m.files) && m.files.includes('dist'), 'files must include "dist"');
  need(m.sideEffects === false, 'sideEffects must be false');
  need(m.publishConfig?.access === 'public', 'publishConfig.access must be "public"');
  need(m.type === 'module', 'type should be "module"');
  const root = m.exports?.['.'];
  need(
    Boolean(
      root?.import?.types &&
        root?.import?.default &&
        root?.require?.types &&
        root?.require?.default,
    ),
    'exports["."] needs import and require conditions, each with types',
  );
  need(m.exports?.['./package.json'] === './package.json', 'exports should expose ./package.json');
  need(
    nonEmptyString(m.main) && nonEmptyString(m.types),
    'main and types are missing (older resolvers)',
  );

  const readme = join(pkg.path, 'README.md');
  need(existsSync(readme) && statSync(readme).size > 200, 'README.md is missing or nearly empty');
  const license = join(pkg.path, 'LICENSE');
  need(existsSync(license), 'LICENSE is missing');
  need(
    !existsSync(license) ||
      rootLicense === undefined ||
      readFileSync(license, 'utf8') === rootLicense,
    'LICENSE differs from the root LICENSE',
  );

  // Dependencies: what the source imports must be declared, frameworks as peers, core as a
  // dependency, and workspace ranges that publish as a caret range.
  const deps = m.dependencies ?? {};
  const peers = m.peerDependencies ?? {};
  const devs = m.devDependencies ?? {};
  // A command-line tool (a bin, no peer dependencies) is the application: it brings
  // the clients it runs with, so they are its dependencies.
  const isTool = m.bin !== undefined && Object.keys(m.peerDependencies ?? {}).length === 0;
  for (const name of sourceImports(pkg.path)) {
    if (name === m.name) continue;
    if (FRAMEWORKS.includes(name) && !isTool) {
      need(name in peers, `${name} is imported: it must be a peerDependency`);
      need(name in devs, `${name} is a peer: list it in devDependencies too, for the tests`);
    } else {
      need(name in deps || name in peers, `${name} is imported but not a dependency`);
    }
  }
  for (const name of FRAMEWORKS) {
    if (name in deps && !isTool)
      problems.push(`${name} must be a peerDependency, not a dependency`);
  }
  const isAdapter = Object.keys(peers).some((name) => FRAMEWORKS.includes(name));
  if (isAdapter) need(CORE in deps, `${CORE} must be a dependency of an adapter`);
  for (const [name, range] of Object.entries(deps)) {
    if (name.startsWith('@goto-auth/')) {
      need(
        range === 'workspace:^',
        `${name}: use "workspace:^" (publishes as ^x.y.z), not "${range}"`,
      );
    }
  }
  for (const name of Object.keys(peers)) {
    need(!name.startsWith('@goto-auth/'), `${name} should be a dependency, not a peer`);
  }
  return problems;
}

let failed = 0;
const packages = publicPackages();
if (packages.length === 0) {
  console.log('FAIL no public package found under packages/');
  failed += 1;
}
for (const pkg of packages) {
  const problems = check(pkg);
  if (problems.length === 0) {
    console.log(`ok   ${pkg.name}`);
  } else {
    failed += 1;
    console.log(`FAIL ${pkg.name}`);
    for (const problem of problems) console.log(`     - ${problem}`);
  }
}
console.log(`metadata: ${packages.length - failed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
