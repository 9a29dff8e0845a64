import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

export default mergeConfig(
  shared,
  defineConfig({
    test: {
      // Builds the packages and the app once (turbo cache), for the suites that spawn it.
      globalSetup: ['test/global-setup.ts'],
      // The suites start real processes and a browser: one file at a time keeps them from
      // competing for CPU (and the e2e suite's `pnpm start` from rebuilding under the others).
      fileParallelism: false,
    },
  }),
);
