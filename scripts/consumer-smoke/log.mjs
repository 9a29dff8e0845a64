// Check results of the consumer smoke tests, and running checks side by side.
import { writeFileSync } from 'node:fs';

/** Checks passed and failed so far, over every Log. */
export const counts = { passed: 0, failed: 0 };

export const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Check results. Checks that run concurrently each write to their own Log; the logs are printed
 * in a fixed order, so the output reads the same whatever finished first.
 */
export class Log {
  lines = [];
  ok(label, detail = '') {
    counts.passed += 1;
    this.lines.push(`ok   ${label}${detail ? ` (${detail})` : ''}`);
  }
  fail(label, detail = '', output = '') {
    counts.failed += 1;
    this.lines.push(`FAIL ${label}${detail ? ` (${detail})` : ''}`);
    const text = output.trim();
    if (!text) return;
    const lines = text.split('\n');
    const shown = lines.slice(0, 40).map((line) => `     | ${line}`);
    if (lines.length > 40) shown.push(`     | … ${lines.length - 40} more lines`);
    this.lines.push(...shown);
  }
  failRun(label, result, hint = '') {
    this.fail(
      label,
      result.timedOut ? 'timed out' : `exit ${result.code}`,
      `${hint}${result.stdout}${result.stderr}`,
    );
  }
  note(text) {
    this.lines.push(`     ${text}`);
  }
  flush() {
    if (this.lines.length > 0) console.log(this.lines.join('\n'));
    this.lines = [];
  }
}

/** Runs the tasks at most `limit` at a time; prints each task's log in order as soon as it can. */
export async function inParallel(tasks, limit = 2) {
  const logs = tasks.map(() => new Log());
  const done = tasks.map(() => false);
  let printed = 0;
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      try {
        await tasks[index](logs[index]);
      } catch (error) {
        logs[index].fail('unexpected error in the smoke script', '', String(error?.stack ?? error));
      }
      done[index] = true;
      while (printed < tasks.length && done[printed]) logs[printed++].flush();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

export function writeJson(path, value) {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}
