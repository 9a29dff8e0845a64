#!/usr/bin/env node
// `pnpm docs`: the API reference of every public package, built by TypeDoc into docs/api/ from
// the TSDoc of each package's src/index.ts (settings in typedoc.json). Validation warnings
// (an undocumented export, a type that is used but not exported, a broken {@link}) fail the
// build. A package whose src/index.ts does not exist yet is skipped with a notice.
import { join } from 'node:path';
import { readyPackages, root, run } from './lib/workspace.mjs';

const packages = readyPackages('docs');
if (packages.length === 0) {
  console.error('[docs] no public package has a src/index.ts');
  process.exit(1);
}
const typedoc = join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');
const args = [
  typedoc,
  '--options',
  'typedoc.json',
  ...packages.flatMap((p) => ['--entryPoints', `packages/${p.dir}`]),
];
const result = await run(process.execPath, [...args, ...process.argv.slice(2)], {
  echo: true,
  timeout: 600_000,
});
if (result.code === 0) {
  console.log(`[docs] ${packages.map((p) => p.name).join(', ')} -> docs/api/index.html`);
}
process.exit(result.code);
