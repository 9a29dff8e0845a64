/** Figures as the report prints them. */
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
