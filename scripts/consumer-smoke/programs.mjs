// Does it run: every package's run fixture (fixtures/<folder>/run.ts) in an ESM project
// (`import`) and a CommonJS project (`require`), against a real @goto-auth/emulator from its
// tarball; and every bin from the install.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { run } from '../lib/workspace.mjs';
import { FIXTURES, fixture } from './consumers.mjs';
import { seconds } from './log.mjs';

/**
 * A fixture as the project's module format runs it: `.mjs` keeps the imports, `.cjs` turns them
 * into `require` (a default import through `__importDefault`, as TypeScript compiles it for a
 * CommonJS user).
 */
function transpile(source, format, target) {
  const { outputText } = ts.transpileModule(readFileSync(source, 'utf8'), {
    fileName: format === 'cjs' ? 'fixture.cts' : 'fixture.mts',
    compilerOptions: {
      module: ts.ModuleKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
  });
  writeFileSync(target, outputText);
}

/** Runs one package's fixture in the esm or cjs project at `dir`, through fixtures/harness.ts. */
export async function runProgram(pkg, format, dir, env, log) {
  const extension = format === 'cjs' ? 'cjs' : 'mjs';
  const harness = join(dir, `harness.${extension}`);
  transpile(join(FIXTURES, 'harness.ts'), format, harness);
  const file = join(dir, `${pkg.dir}.${extension}`);
  transpile(fixture(pkg, 'run.ts'), format, file);
  const result = await run(process.execPath, [harness, pkg.name, file], {
    cwd: dir,
    env,
    timeout: 60_000,
  });
  const note = result.stdout.match(/^note: (.*)$/m)?.[1];
  if (result.code === 0 && !result.timedOut && /^ok$/m.test(result.stdout)) {
    log.ok(`${format} ${pkg.name}`, note ?? seconds(result.ms));
  } else {
    const hint = /^ok$/m.test(result.stdout)
      ? 'the program finished but did not exit: an open handle?\n'
      : '';
    log.failRun(`${format} ${pkg.name}`, result, hint);
  }
}

/** Every bin of the packed packages runs from the install at `dir` (shebang, file mode, imports). */
export async function runBins(packed, dir, log) {
  for (const pkg of packed) {
    const bins =
      typeof pkg.manifest.bin === 'string'
        ? { [pkg.dir]: pkg.manifest.bin }
        : (pkg.manifest.bin ?? {});
    for (const bin of Object.keys(bins)) {
      const result = await run(join(dir, 'node_modules', '.bin', bin), ['--help'], {
        cwd: dir,
        timeout: 30_000,
      });
      if (result.code === 0) log.ok(`bin ${bin} --help (${pkg.name})`);
      else log.failRun(`bin ${bin} --help (${pkg.name})`, result);
    }
  }
}
