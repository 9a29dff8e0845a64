import { defineConfig, type UserConfig } from 'tsdown';

const shared: UserConfig = {
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  fixedExtension: true,
  platform: 'node',
  tsconfig: 'tsconfig.build.json',
};

// Two builds, not two entries of one: with one build the bundler may hoist shared code (its
// interop runtime) into the `http` chunk, and the main entry would then load `@nestjs/axios`.
export default defineConfig([
  { ...shared, entry: ['src/index.ts'], clean: true },
  { ...shared, entry: ['src/http.ts'], clean: false },
]);
