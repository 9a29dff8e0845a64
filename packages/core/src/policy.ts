import type { GoToAuthError } from './errors.js';
import type { GoToRetryOptions } from './options.js';

/** The first cool-down after a refused credential; it doubles with each consecutive refusal. */
export const REFUSAL_COOLDOWN_MS = 30_000;
/** The longest cool-down after refused credentials. */
export const MAX_REFUSAL_COOLDOWN_MS = 30 * 60_000;

/**
 * How long to wait before retry number `attempt` (from 1) of a transient failure, or
 * `undefined` when the failure is not worth a retry.
 *
 * Capped exponential backoff with equal jitter: the step is
 * `min(maxDelay, baseDelay · 2^(attempt − 1))`, and the wait is half the step plus a random
 * part of the other half. GoTo's `Retry-After` is a floor; one longer than `maxDelay` ends the
 * retries (waiting that long inside one refresh would hold every caller).
 */
export function backoff(
  attempt: number,
  error: GoToAuthError,
  retry: Required<GoToRetryOptions>,
  random: () => number = Math.random,
): number | undefined {
  if (!error.retryable) return undefined;
  if (error.retryAfter !== undefined && error.retryAfter > retry.maxDelay) return undefined;
  const step = Math.min(retry.maxDelay, retry.baseDelay * 2 ** (attempt - 1));
  return Math.max(step / 2 + random() * (step / 2), error.retryAfter ?? 0);
}

/**
 * How long no new attempt starts after a refresh failed for good.
 *
 * - Transient trouble (`retryable`): the next backoff step, or `Retry-After` when longer.
 * - Anything else (refused credentials or client, an unusable answer): 30 s, doubling with each
 *   consecutive such failure up to 30 min, and never less than `minGrantInterval`. These are
 *   never retried by a timer: the next attempt waits for a caller as well, so a changed
 *   password cannot lock the GoTo account.
 *
 * @param attempts - requests made in the failed refresh
 * @param refusals - consecutive non-transient failures, this one included (from 1)
 */
export function cooldown(
  error: GoToAuthError,
  attempts: number,
  refusals: number,
  retry: Required<GoToRetryOptions>,
  minGrantInterval: number,
): number {
  if (error.retryable) {
    const step = Math.min(retry.maxDelay, retry.baseDelay * 2 ** attempts);
    return Math.max(error.retryAfter ?? 0, step);
  }
  const doubled = Math.min(MAX_REFUSAL_COOLDOWN_MS, REFUSAL_COOLDOWN_MS * 2 ** (refusals - 1));
  return Math.max(minGrantInterval, doubled);
}
