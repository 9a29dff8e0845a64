import { cleanEnv, REPO_ROOT, run } from './helpers.ts';

/**
 * Builds the workspace packages the app imports and the app itself (turbo's cache makes this
 * quick when nothing changed): the suites spawn the built app, as `pnpm start` does.
 */
export default async function setup(): Promise<void> {
  const { code, output } = await run(
    'pnpm',
    ['exec', 'turbo', 'run', 'build', '--filter=@goto-auth/sample...', '--output-logs=errors-only'],
    { cwd: REPO_ROOT, env: cleanEnv() },
  );
  if (code !== 0) throw new Error(`Building the sample failed:\n${output}`);
}
