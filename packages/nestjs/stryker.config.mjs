import { strykerConfig } from '../../stryker.shared.mjs';

// With Stryker's disable-type-checks pass (it rewrites every file, tests included, and keeps the
// originals under .stryker-tmp), vitest's dry run failed to parse Nest's parameter decorators.
// Nothing type-checks while mutating, so the pass is not needed here.
export default strykerConfig({ disableTypeChecks: false });
