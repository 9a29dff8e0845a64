import { defineConfig, type UserConfig } from 'tsdown';

/**
 * The build of every published package: ES modules and CommonJS with `.mjs/.cjs` and
 * `.d.mts/.d.cts`, source maps, from `tsconfig.build.json`. A package's `tsdown.config.ts`
 * names only what differs: its entries and its platform (`neutral` for what must run on every
 * runtime, `node` for what needs Node).
 */
export function packageBuild(options: {
  platform: 'node' | 'neutral';
  entry?: string[];
}): UserConfig {
  return defineConfig({
    entry: options.entry ?? ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    fixedExtension: true,
    platform: options.platform,
    tsconfig: 'tsconfig.build.json',
  });
}
