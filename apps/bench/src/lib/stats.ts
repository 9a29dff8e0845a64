/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Rotates `items` by `round`, so that no candidate always runs first (or last) in a round. */
export function rotate<T>(items: readonly T[], round: number): T[] {
  const shift = round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** `12345.6` → `'12,346'`. */
export function fmtInt(value: number): string {
  return Number.isFinite(value) ? integer.format(value) : '—';
}

/** A ratio with two decimals: `'1.04x'`. */
export function fmtRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : '—';
}

/** Bytes as kB (1 kB = 1000 bytes, the stricter reading of a "5 KB" budget). */
export function fmtKB(bytes: number): string {
  return `${(bytes / 1000).toFixed(2)} kB`;
}

/** Milliseconds, rounded. */
export function fmtMs(ms: number): string {
  return `${Math.round(ms)} ms`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `samples` rounds of one sample per key, the order rotating each round, so that a
 * drifting machine load falls on every key alike. Returns each key's samples.
 */
export async function interleave<K extends string>(
  keys: readonly K[],
  samples: number,
  sample: (key: K) => Promise<number>,
): Promise<Record<K, number[]>> {
  const out = Object.fromEntries(keys.map((key) => [key, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < samples; round++) {
    for (const key of rotate(keys, round)) out[key].push(await sample(key));
  }
  return out;
}

/** The 25th and 75th percentiles, as `'a–b'` via `format`. */
export function iqr(values: readonly number[], format: (n: number) => string): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return `${format(at(0.25))}–${format(at(0.75))}`;
}
