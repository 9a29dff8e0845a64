import { measure } from 'mitata';

/** How the candidates of a speed figure are measured. */
export interface RoundsConfig {
  /** Interleaved rounds; the median of their per-call times is reported. */
  rounds: number;
  /** Minimum measured time per candidate per round, ms. */
  minCpuTimeMs: number;
}

/**
 * Measures each candidate (one sample = one call of its function, which makes `perSample`
 * awaited calls) in `config.rounds` interleaved rounds, rotating who goes first, and returns
 * the p50 time per call of every round, in ns.
 */
export async function perCallRounds<C extends string>(
  batches: Record<C, () => Promise<void>>,
  perSample: number,
  config: RoundsConfig,
): Promise<Record<C, number[]>> {
  const names = Object.keys(batches) as C[];
  const perCall = Object.fromEntries(names.map((name) => [name, []])) as unknown as Record<
    C,
    number[]
  >;
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let round = 0; round < config.rounds; round++) {
    for (const name of rotate(names, round)) {
      const stats = await measure(batches[name], {
        min_cpu_time: config.minCpuTimeMs * 1e6,
        // Each sample is one batch of awaited calls: no batching of batches.
        batch_threshold: 0,
        gc: gc ?? false,
      });
      perCall[name].push(stats.p50 / perSample);
    }
  }
  return perCall;
}

/** Rotates `items` by `round`, so that no candidate always runs first (or last) in a round. */
export function rotate<T>(items: readonly T[], round: number): T[] {
  const shift = round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
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
