import type { EmulatorRateLimit } from './types.js';

const WINDOW_MS = 1000;

/** The API a path belongs to: its first segment (`/oauth/token` → `oauth`). */
function apiOf(path: string): string {
  return path.split('/', 2)[1] ?? '';
}

/**
 * A sliding one-second window per API: the times of the last `limit` requests served. A request
 * is refused while `limit` of them fall within the last second; refused requests do not count,
 * so a client that waits `Retry-After` gets through.
 */
export class RateLimiter {
  #limit = 0;
  readonly #served = new Map<string, number[]>();

  constructor(private readonly now: () => number) {}

  configure(rateLimit: boolean | EmulatorRateLimit | undefined): void {
    const perSecond = rateLimit === true ? 10 : rateLimit ? (rateLimit.requestsPerSecond ?? 10) : 0;
    if (rateLimit && !(Number.isInteger(perSecond) && perSecond >= 1)) {
      throw new RangeError('rateLimit.requestsPerSecond must be an integer >= 1');
    }
    this.#limit = perSecond;
    this.#served.clear();
  }

  clear(): void {
    this.#served.clear();
  }

  /** Seconds to wait when the request must be refused, else undefined (and it is counted). */
  admit(path: string): number | undefined {
    if (this.#limit === 0) return undefined;
    const now = this.now();
    const api = apiOf(path);
    let times = this.#served.get(api);
    if (!times) {
      times = [];
      this.#served.set(api, times);
    }
    while (times.length > 0 && (times[0] ?? 0) <= now - WINDOW_MS) times.shift();
    if (times.length >= this.#limit) {
      const oldest = times[0] ?? now;
      return Math.max(1, Math.ceil((oldest + WINDOW_MS - now) / 1000));
    }
    times.push(now);
    return undefined;
  }
}
