/** Checks that a README shows code a test runs. */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

/**
 * Asserts that the first TypeScript block after `heading` in the package's README (`../README.md`
 * from the test file at `test`, its `import.meta.url`) has more than `atLeast` lines, each of
 * which (trimmed, imports and blank lines aside) the test file contains: the README shows the
 * very code the test runs.
 */
export function expectReadmeShows(test: string, heading: string, atLeast: number): void {
  const text = readFileSync(new URL('../README.md', test), 'utf8');
  const section = text.slice(text.indexOf(heading));
  const shown = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const lines = (code: string) =>
    code
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('import '));
  expect(lines(shown).length).toBeGreaterThan(atLeast);
  expect(lines(readFileSync(new URL(test), 'utf8'))).toEqual(expect.arrayContaining(lines(shown)));
}
