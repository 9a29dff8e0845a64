/**
 * Parses `Retry-After` (whole seconds, or an HTTP date) into milliseconds from `now`.
 *
 * @returns the wait, or `undefined` when the header is absent or unreadable
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP date names a day and a month; Date.parse alone would read "-1" or "1.5" as dates.
  if (!/[a-z]{3}/i.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
