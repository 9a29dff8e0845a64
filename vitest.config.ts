import { defineConfig, mergeConfig } from 'vitest/config';
import shared from './vitest.shared.ts';

/**
 * Every package and app as a vitest project (`pnpm vitest run --project core` from here). Most
 * take the shared settings as they are; the few that differ keep a `vitest.config.ts` of their
 * own, named here by folder. A package's own `pnpm test` runs its tests alone
 * (`vitest run --config ../../vitest.shared.ts` where it has no config of its own).
 */
const SHARED_ONLY = {
  packages: ['axios', 'core', 'emulator', 'express', 'fastify', 'hono', 'ky', 'nestjs', 'otel'],
  apps: ['bench'],
};
const OWN_CONFIG = ['packages/cli', 'packages/redis', 'apps/sample'];

export default mergeConfig(
  shared,
  defineConfig({
    test: {
      projects: [
        ...Object.entries(SHARED_ONLY).flatMap(([group, names]) =>
          names.map((name) => ({ extends: true, test: { name, root: `${group}/${name}` } })),
        ),
        ...OWN_CONFIG,
      ],
    },
  }),
);
