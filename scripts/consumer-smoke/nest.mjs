// Does a NestJS app build and boot: fixtures/<folder>/app.ts compiled to CommonJS with decorator
// metadata, as `nest new` sets it up, then run: it boots, gets a token and closes.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { root, run } from '../lib/workspace.mjs';
import { fixture } from './consumers.mjs';
import { seconds, writeJson } from './log.mjs';

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/** Compiles the NestJS app to CommonJS with decorator metadata, then boots it. */
export async function nestApp(pkg, dir, log) {
  mkdirSync(join(dir, 'src'), { recursive: true });
  copyFileSync(fixture(pkg, 'app.ts'), join(dir, 'src', 'main.ts'));
  writeJson(join(dir, 'tsconfig.json'), {
    compilerOptions: {
      // What `nest new` writes; NestJS 12 is ES modules only, loaded here through require(esm).
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'ES2022',
      strict: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      esModuleInterop: true,
      skipLibCheck: true,
      types: ['node'],
      outDir: 'dist',
      rootDir: 'src',
    },
    include: ['src'],
  });
  const label = `nest ${pkg.name}: CommonJS + decorator metadata`;
  const compiled = await run(process.execPath, [tsc, '-p', 'tsconfig.json', '--pretty', 'false'], {
    cwd: dir,
    timeout: 180_000,
  });
  if (compiled.code !== 0) {
    log.failRun(`${label}: compile`, compiled);
    return;
  }
  log.ok(`${label}: compile`, seconds(compiled.ms));
  const booted = await run(process.execPath, ['dist/main.js'], { cwd: dir, timeout: 60_000 });
  if (booted.code === 0 && booted.stdout.includes('nest app booted'))
    log.ok(`${label}: boot, token, close`, seconds(booted.ms));
  else log.failRun(`${label}: boot, token, close`, booted);
}
