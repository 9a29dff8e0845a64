import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

export default mergeConfig(
  shared,
  defineConfig({
    test: {
      // The binary tests pack and install the package once; they share that install.
      globalSetup: ['test/support/global-setup.ts'],
    },
  }),
);
