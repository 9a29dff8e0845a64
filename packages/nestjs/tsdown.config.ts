import { packageBuild } from '../../tsdown.shared.ts';

// One build, so the subpaths share the main entry's classes (GoToAuthService is an injection
// token). Nothing in src/http.ts may need the bundler's interop runtime (no default import of
// a CommonJS package): the runtime would be hoisted into its chunk and the main entry would
// load `@nestjs/axios` from there (scripts/consumer-smoke.mjs runs the main entry without it).
export default packageBuild({
  platform: 'node',
  entry: ['src/index.ts', 'src/terminus.ts', 'src/http.ts'],
});
