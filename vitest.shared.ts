import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript source through this export condition,
// so tests and typecheck never need a build.
// ('import' and 'module' must not be listed: vitest passes these to Node as --conditions, and CommonJS
// dependencies would then load ESM builds through require().)
const conditions = ['@goto-auth/source', 'node', 'development|production'];

// Under mutation testing (StrykerJS sets this in its workers) a mutant that hangs should cost
// seconds, not the 30 s a slow real-HTTP test may need; and tests of whole child processes
// and of the built dist (bundled into other runtimes), which mutants in this process cannot
// reach, are left out.
const mutating = process.env.STRYKER_MUTATOR_WORKER !== undefined;

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@goto-auth/source'] } },
  test: {
    // Each package's `test/*.test-d.ts` pins its public types (vitest's typecheck runs tsc).
    // Not while mutating: a type test cannot kill a mutant, and tsc would read the instrumented
    // source (nestjs keeps Stryker from adding `@ts-nocheck`), whose errors fail the dry run.
    typecheck: {
      enabled: !mutating,
      include: ['test/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
    testTimeout: mutating ? 8_000 : 30_000,
    hookTimeout: 60_000,
    ...(mutating
      ? {
          exclude: [
            '**/node_modules/**',
            '**/child.test.ts',
            '**/multi-process.test.ts',
            '**/cluster.test.ts',
            '**/runtimes.test.ts',
          ],
          setupFiles: [
            new URL('./tools/test-support/src/mutation-setup.ts', import.meta.url).pathname,
          ],
        }
      : {}),
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
  },
});
