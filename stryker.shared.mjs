// @ts-check
import { existsSync } from 'node:fs';

/**
 * Mutation testing (StrykerJS) for one package, run from that package's folder by
 * `pnpm test:mutation` (scripts/mutation.mjs).
 *
 * In place: workspace packages resolve each other to their TypeScript source, so a mutant must
 * sit in the real `src` for every import (test-support's, child processes') to see it. Stryker
 * restores each file when it ends; after an interrupted run, `git checkout -- packages/<name>/src`.
 *
 * @param {Partial<import('@stryker-mutator/api/core').PartialStrykerOptions>} overrides
 * @returns {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export function strykerConfig(overrides = {}) {
  return {
    testRunner: 'vitest',
    plugins: ['@stryker-mutator/vitest-runner'],
    // A package without a vitest.config.ts of its own takes the shared settings as they are.
    vitest: {
      configFile: existsSync('vitest.config.ts') ? 'vitest.config.ts' : '../../vitest.shared.ts',
    },
    mutate: ['src/**/*.ts', '!src/**/*.d.ts'],
    inPlace: true,
    coverageAnalysis: 'perTest',
    // Re-runs test only the mutants whose code or tests changed.
    incremental: true,
    incrementalFile: 'reports/mutation/incremental.json',
    reporters: ['html', 'json', 'clear-text', 'progress'],
    htmlReporter: { fileName: 'reports/mutation/index.html' },
    jsonReporter: { fileName: 'reports/mutation/mutation.json' },
    clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
    concurrency: 2,
    timeoutMS: 15_000,
    thresholds: { high: 90, low: 85, break: null },
    tempDirName: '.stryker-tmp',
    ...overrides,
  };
}
