import { type GoToAuth, goToFetch } from '@goto-auth/core';
import type { KyInstance, Options } from 'ky';
import { ky } from './hooks.js';

/** Options of {@link goToKy}: ky's own, plus `origins`. */
export interface GoToKyOptions extends Options {
  /**
   * The origins (`scheme://host[:port]`) that receive the token; every other origin gets no
   * `Authorization` from us. Each must be `https://`, or `http://` on a loopback host
   * (`localhost`, `127.0.0.0/8`, `::1`).
   *
   * @defaultValue `[new URL(auth.baseUrl).origin]`
   */
  origins?: readonly string[];
}

/**
 * A ky instance that calls GoTo with a token: `ky.create()` with `prefix: auth.baseUrl` and, as
 * its `fetch`, core's `goToFetch(auth)`, which sets `Authorization: Bearer <token>` on requests
 * to the GoTo origins only and, on a 401 or a 403 `InvalidToken`, invalidates the token and
 * sends the request once more with a fresh one. ky itself sees only the final answer.
 *
 * Faster than {@link goToAuthHooks}: no `afterResponse` hook, so ky never clones a 2xx answer
 * (ky 2.1 hands every such hook `response.clone()`, a tee of the body stream).
 *
 * - Every ky option works as usual (`prefix` overrides the default); a `fetch` option becomes
 *   the `fetch` that `goToFetch` calls.
 * - A second rejection of the same call reaches the caller as ky's `HTTPError`. ky's own
 *   retries (5xx, 429…) are untouched, and each of them also gets the token and its one retry.
 * - When no token can be had, the call rejects with core's `GoToAuthError`; an aborted call
 *   (ky's `signal` or `timeout`) rejects as ky does.
 *
 * @throws GoToAuthError at once, when an origin in `options.origins` is not https:// or loopback
 * @example
 * ```ts
 * const goto = goToKy(auth);
 * const me = await goto.get('admin/rest/v1/me').json();
 * ```
 */
export function goToKy(auth: GoToAuth, options: GoToKyOptions = {}): KyInstance {
  const { origins, fetch, ...kyOptions } = options;
  return ky.create({
    prefix: auth.baseUrl,
    ...kyOptions,
    fetch: goToFetch(auth, { origins, fetch }),
  });
}
