import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript source through this export condition,
// so tests and typecheck never need a build.
const conditions = ['@goto-auth/source', 'module', 'node', 'import', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@goto-auth/source'] } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
  },
});
