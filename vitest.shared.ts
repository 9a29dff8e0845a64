import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript source through this export condition,
// so tests and typecheck never need a build.
// ('import' and 'module' must not be listed: vitest passes these to Node as --conditions, and CommonJS
// dependencies would then load ESM builds through require().)
const conditions = ['@goto-auth/source', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@goto-auth/source'] } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
  },
});
