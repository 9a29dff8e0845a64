#!/usr/bin/env node
// Installs the system programs the test suites need (redis-server, Debian's chromium) when
// they are missing and this machine can install them (root with apt-get). Elsewhere it says
// what to install; the suites that need a program then fail with the same clear message.
import { execFileSync, spawnSync } from 'node:child_process';

const needs = [
  { bin: 'redis-server', packages: ['redis-server'], for: '@goto-auth/redis tests' },
  { bin: 'redis-cli', packages: ['redis-tools'], for: 'the Redis Cluster test' },
  { bin: 'chromium', packages: ['chromium'], for: 'the sample app browser test' },
];

const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
const missing = needs.filter((need) => !has(need.bin));
if (missing.length === 0) process.exit(0);

const packages = [...new Set(missing.flatMap((need) => need.packages))];
const canApt = process.getuid?.() === 0 && has('apt-get');
if (!canApt) {
  for (const need of missing) {
    console.warn(`[ensure-system-deps] ${need.bin} is missing (needed by ${need.for}).`);
  }
  console.warn(
    `[ensure-system-deps] install it with: sudo apt-get install -y ${packages.join(' ')}`,
  );
  process.exit(0);
}
console.log(`[ensure-system-deps] installing ${packages.join(', ')} with apt-get…`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
  stdio: 'inherit',
  env,
});
