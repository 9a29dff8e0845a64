import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

export default mergeConfig(
  shared,
  defineConfig({
    test: {
      // The multi-process suites time token refreshes to the second: on a small CI machine,
      // files running side by side would starve each other's timers.
      fileParallelism: false,
    },
  }),
);
