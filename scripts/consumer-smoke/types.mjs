// Does it type-check: every package's types fixture (fixtures/<folder>/types.ts) under each
// module setting a user may have, with the workspace's TypeScript: node16 (.mts and .cts),
// node20 (.cts through require(esm), for ES-module-only peers such as ky and NestJS 12),
// bundler, legacy node10 and, for runtime-agnostic packages, without @types/node. skipLibCheck
// is off under node16/node20/web so our .d.mts/.d.cts files are checked whole, and notAny()
// catches a type that failed to resolve everywhere.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, run } from '../lib/workspace.mjs';
import { CONSUMERS, FIXTURES, fixture } from './consumers.mjs';
import { seconds, writeJson } from './log.mjs';

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const NOT_ANY_IMPORT = "import { notAny } from '../not-any.ts';\n";

/**
 * One package's types fixture as a program that stands alone: its import of `notAny` replaced
 * by the definition (fixtures/not-any.ts), which no module setting could resolve from here.
 */
function typesProgram(pkg) {
  const text = readFileSync(fixture(pkg, 'types.ts'), 'utf8');
  if (!text.includes(NOT_ANY_IMPORT)) return text;
  const notAny = readFileSync(join(FIXTURES, 'not-any.ts'), 'utf8').replace(/^export /m, '');
  return `${text.replace(NOT_ANY_IMPORT, '')}\n${notAny}`;
}

/** Type-checks every package's program under one TypeScript configuration. */
async function typeCheck(mode, packages, dir, log) {
  const members = packages.filter((p) => (mode.only ? mode.only(p) : true));
  if (members.length === 0) return;
  for (const pkg of members) {
    const notice = mode.notice?.(pkg);
    if (notice) log.note(`notice: types ${mode.name} ${pkg.name}: ${notice}`);
    for (const f of mode.files(pkg)) {
      mkdirSync(join(dir, mode.name), { recursive: true });
      writeFileSync(join(dir, f), typesProgram(pkg));
    }
  }
  const config = `tsconfig.${mode.name}.json`;
  writeJson(join(dir, config), {
    compilerOptions: {
      strict: true,
      noEmit: true,
      target: 'ES2022',
      types: ['node'],
      esModuleInterop: true,
      ...mode.options,
    },
    files: members.flatMap((p) => mode.files(p)),
  });
  const result = await run(process.execPath, [tsc, '-p', config, '--pretty', 'false'], {
    cwd: dir,
    timeout: 180_000,
  });
  const lines = `${result.stdout}${result.stderr}`.split('\n').filter(Boolean);
  const claimed = new Set();
  const label = `types ${mode.label ?? mode.name}`;
  for (const pkg of members) {
    // An error belongs to a package when it is in its program or in its installed files.
    const mine = lines.filter(
      (line) =>
        mode.files(pkg).some((f) => line.startsWith(f)) ||
        line.includes(`node_modules/${pkg.name}/`),
    );
    for (const line of mine) claimed.add(line);
    if (mine.length === 0 && !result.timedOut) log.ok(`${label} ${pkg.name}`);
    else log.fail(`${label} ${pkg.name}`, result.timedOut ? 'timed out' : '', mine.join('\n'));
  }
  const rest = lines.filter((line) => !claimed.has(line));
  if (result.code !== 0 && (rest.length > 0 || claimed.size === 0)) {
    log.failRun(`${label}: errors outside the programs`, {
      ...result,
      stdout: rest.join('\n'),
      stderr: '',
    });
  }
  log.note(`${label}: tsc took ${seconds(result.ms)}`);
}

/** The type checks of the packages installed in the `ts` project at `dir`, one task per mode. */
export function typeCheckTasks(packed, dir) {
  // Peers that are ES modules only (ky, NestJS 12) cannot be imported from a CommonJS file
  // under module node16; node20 (TypeScript's model of require(esm)) can.
  const esmOnly = (name) => {
    const file = join(dir, 'node_modules', name, 'package.json');
    if (!existsSync(file)) return false;
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    const exportsText = JSON.stringify(manifest.exports ?? '');
    return (
      manifest.type === 'module' &&
      !exportsText.includes('"require"') &&
      !exportsText.includes('.cjs')
    );
  };
  const esmOnlyPeers = (pkg) => Object.keys(pkg.manifest.peerDependencies ?? {}).filter(esmOnly);
  // skipLibCheck is off where our .d.mts/.d.cts must be checked whole (slower); elsewhere
  // notAny() still catches a type that failed to resolve.
  const modes = [
    {
      name: 'node16',
      label: 'node16 (.mts + .cts)',
      options: { module: 'node16', moduleResolution: 'node16', skipLibCheck: false },
      files: (pkg) =>
        esmOnlyPeers(pkg).length > 0
          ? [`node16/${pkg.dir}.mts`]
          : [`node16/${pkg.dir}.mts`, `node16/${pkg.dir}.cts`],
      notice: (pkg) =>
        esmOnlyPeers(pkg).length > 0
          ? `${esmOnlyPeers(pkg).join(', ')}: ES module only, so its .cts is checked under node20`
          : undefined,
    },
    {
      name: 'node20',
      label: 'node20 (.cts, require(esm))',
      options: { module: 'node20', moduleResolution: 'node16', skipLibCheck: false },
      files: (pkg) => [`node20/${pkg.dir}.cts`],
    },
    {
      name: 'bundler',
      options: { module: 'preserve', moduleResolution: 'bundler', skipLibCheck: true },
      files: (pkg) => [`bundler/${pkg.dir}.ts`],
    },
    {
      name: 'node10',
      label: 'node10 (legacy CommonJS resolution)',
      options: {
        module: 'commonjs',
        moduleResolution: 'node10',
        ignoreDeprecations: '6.0',
        skipLibCheck: true,
      },
      files: (pkg) => [`node10/${pkg.dir}.ts`],
    },
    {
      name: 'web',
      label: 'web (no @types/node)',
      options: {
        module: 'preserve',
        moduleResolution: 'bundler',
        types: [],
        lib: ['ES2023', 'DOM'],
        skipLibCheck: false,
      },
      files: (pkg) => [`web/${pkg.dir}.ts`],
      only: (pkg) => CONSUMERS[pkg.name].web === true,
    },
  ];
  return modes.map((mode) => (taskLog) => typeCheck(mode, packed, dir, taskLog));
}
