import { defineConfig } from 'tsdown';

// An application, not a library: one ESM entry, no declarations. The tsconfig enables
// `emitDecoratorMetadata`, which Nest's constructor injection reads at run time.
export default defineConfig({
  entry: ['src/main.ts'],
  format: ['esm'],
  platform: 'node',
  fixedExtension: true,
  sourcemap: true,
  clean: true,
  dts: false,
  tsconfig: 'tsconfig.json',
  deps: {
    // Node resolves these at run time (the workspace packages to their dist): bundling the
    // frameworks would duplicate Nest's singletons and hide the adapters' real packaging.
    neverBundle: [
      /^@goto-auth\//,
      /^@nestjs\//,
      'axios',
      'express',
      'ky',
      'reflect-metadata',
      'rxjs',
    ],
  },
});
