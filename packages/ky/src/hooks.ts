import { type GoToAuth, goToOriginMatcher, isRejectedResponse } from '@goto-auth/core';
import kyDefault, { type Hooks } from 'ky';

// Our CommonJS build receives ky's module namespace here instead of its default export
// (rolldown wraps the require(esm) result once too often, rolldown/rolldown#10308).
export const ky: typeof kyDefault =
  'retry' in kyDefault
    ? kyDefault
    : (kyDefault as unknown as { default: typeof kyDefault }).default;

/** Options of {@link goToAuthHooks}. */
export interface GoToAuthHooksOptions {
  /**
   * The origins (`scheme://host[:port]`) that receive the token. Requests to any other origin
   * are left untouched, so the token never leaks to a third party. Full URLs are accepted and
   * reduced to their origin. Each must be `https://`, or `http://` on a loopback host
   * (`localhost`, `127.0.0.0/8`, `::1`): anything else throws a `GoToAuthError`
   * (`INSECURE_ENDPOINT`) at once.
   *
   * @defaultValue `[new URL(auth.baseUrl).origin]`
   */
  origins?: readonly string[];
}

/** What one ky call needs across its attempts. */
interface CallState {
  /** The access token the latest attempt carried. */
  token: string | undefined;
  /** Whether the call has spent its one retry after a token rejection. */
  retried: boolean;
}

/**
 * ky hooks that put a GoTo access token on requests to GoTo and recover once when GoTo
 * rejects it. Pass them to `ky.create({ hooks })` or `.extend({ hooks })`. {@link goToKy} does
 * the same job faster: ky hands every `afterResponse` hook a clone of the answer, which these
 * hooks cannot avoid.
 *
 * - `beforeRequest` sets `Authorization: Bearer <token>` on requests to the configured origins
 *   (replacing any `Authorization` already there), and nowhere else.
 * - `afterResponse` treats a 401, or a 403 with `int_err_code` `InvalidToken`, on a request that
 *   carried our token as a rejection: it calls `auth.invalidate(token)` and retries the request
 *   once, without delay, through `ky.retry()`; `beforeRetry` puts the fresh token on it. A
 *   second rejection reaches the caller as ky's `HTTPError`.
 * - `ky.retry()` obeys `retry.limit`: with no retry left (`retry: 0`, or retries already spent
 *   on 5xx answers) the rejection reaches the caller as an `HTTPError` at once, but the token is
 *   still invalidated, so the next call gets a fresh one.
 * - When no token can be had, the call rejects with core's `GoToAuthError` (ky treats hook
 *   errors as fatal: it does not retry them). An aborted call rejects with the signal's reason.
 *
 * @example
 * ```ts
 * const goto = ky.create({ prefix: auth.baseUrl, hooks: goToAuthHooks(auth) });
 * const me = await goto.get('admin/rest/v1/me').json();
 * ```
 */
export function goToAuthHooks(auth: GoToAuth, options: GoToAuthHooksOptions = {}): Hooks {
  const isGoTo = goToOriginMatcher(auth, options.origins, 'goToAuthHooks');
  // ky clones the Request for every attempt, but keeps one context object per call: the init
  // hook below makes sure that object is ours alone, so it can key the call's state.
  const calls = new WeakMap<object, CallState>();
  const allowed = (request: Request) => isGoTo(request.url);

  const attach = async (request: Request, state: CallState): Promise<void> => {
    const { signal } = request;
    try {
      const { accessToken } = await auth.getToken({ signal });
      request.headers.set('authorization', `Bearer ${accessToken}`);
      state.token = accessToken;
    } catch (error) {
      // ky callers expect their own abort reason, not a wrapped one.
      if (signal.aborted) throw signal.reason;
      throw error;
    }
  };

  return {
    init: [
      (init) => {
        init.context = { ...init.context };
      },
    ],
    beforeRequest: [
      async ({ request, options: { context } }) => {
        if (!allowed(request)) return;
        const state: CallState = { token: undefined, retried: false };
        calls.set(context, state);
        await attach(request, state);
      },
    ],
    afterResponse: [
      async ({ request, options: { context, retry }, response, retryCount }) => {
        const state = calls.get(context);
        // Another hook may have replaced our header: then the rejection is not about our token.
        if (state?.token === undefined) return;
        if (request.headers.get('authorization') !== `Bearer ${state.token}`) return;
        if (!(await isRejectedResponse(response))) return;
        // A stale rejection (an older token) is ignored by invalidate(): the retry then simply
        // carries the current token.
        auth.invalidate(state.token);
        // With no retry left, ky.retry() would throw a ForceRetryError; the HTTPError is clearer.
        if (state.retried || retryCount >= retry.limit) return;
        state.retried = true;
        return ky.retry({ delay: 0, code: 'GOTO_TOKEN_REJECTED' });
      },
    ],
    beforeRetry: [
      async ({ request, options: { context } }) => {
        const state = calls.get(context);
        if (state?.token === undefined) return;
        if (allowed(request)) {
          await attach(request, state);
        } else if (request.headers.get('authorization') === `Bearer ${state.token}`) {
          // Another hook pointed the retry at a foreign origin: our token must not follow it.
          request.headers.delete('authorization');
        }
      },
    ],
  };
}
