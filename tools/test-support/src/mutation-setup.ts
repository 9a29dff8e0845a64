/**
 * Vitest setup under mutation testing only: property tests run fewer cases per mutant (each
 * mutant is tested on its own; the full count runs in `pnpm test`).
 */
import fc from 'fast-check';

fc.configureGlobal({ numRuns: 60 });
