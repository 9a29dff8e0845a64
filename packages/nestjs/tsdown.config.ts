import { defineConfig, type UserConfig } from 'tsdown';

const shared: UserConfig = {
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  fixedExtension: true,
  platform: 'node',
  tsconfig: 'tsconfig.build.json',
};

// One build per entry, not several entries of one: with one build the bundler may hoist shared
// code (its interop runtime) into a subpath's chunk, and the main entry would then load that
// subpath's optional peer (`@nestjs/axios`, `@nestjs/terminus`).
export default defineConfig([
  { ...shared, entry: ['src/index.ts'], clean: true },
  { ...shared, entry: ['src/http.ts'], clean: false },
  { ...shared, entry: ['src/terminus.ts'], clean: false },
]);
