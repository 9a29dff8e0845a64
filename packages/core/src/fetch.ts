import { checkGoToUrl } from './options.js';
import { isRejectedResponse } from './rejection.js';
import type { GoToAuth } from './token-manager.js';

/** A function with the signature of the global `fetch`: what {@link goToFetch} takes and gives. */
export type FetchFunction = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/** Options of {@link goToFetch}; exported so they can be built apart. */
export interface GoToFetchOptions {
  /**
   * The origins (`scheme://host[:port]`) that receive the token. Requests to any other origin
   * are passed on untouched, so the token never leaks to a third party. Full URLs are accepted
   * and reduced to their origin. Each must be `https://`, or `http://` on a loopback host
   * (`localhost`, `127.0.0.0/8`, `::1`); anything else throws a `GoToAuthError`.
   *
   * @defaultValue `[new URL(auth.baseUrl).origin]`
   */
  origins?: readonly string[];
  /**
   * The `fetch` that sends the requests. Called unbound, as workerd requires.
   *
   * @defaultValue `globalThis.fetch`
   */
  fetch?: FetchFunction;
}

/**
 * A test of "does this URL belong to a GoTo origin" for adapters that attach the token
 * themselves. `url` must be absolute; a relative or invalid URL never matches.
 *
 * @param origins - the origins that receive the token (see {@link GoToFetchOptions.origins});
 *   by default the origin of `auth.baseUrl`
 * @param name - how error messages name the caller, e.g. `goToAuthHooks`
 * @throws GoToAuthError `INSECURE_ENDPOINT` when an origin is `http://` on a host that is not
 *   loopback, `INVALID_OPTIONS` when it is not a valid URL
 */
export function goToOriginMatcher(
  auth: Pick<GoToAuth, 'baseUrl'>,
  origins?: readonly string[],
  name = 'origins',
): (url: string) => boolean {
  const list =
    origins === undefined
      ? [new URL(auth.baseUrl).origin]
      : origins.map((origin) => checkGoToUrl(origin, `${name}: "origins"`).origin);
  const known = new Set(list);
  // A URL that starts with `origin/` has that origin: a cheap test for the usual, normalized
  // URL. The '/' keeps `https://api.getgo.com.evil` from matching `https://api.getgo.com`.
  const prefixes = [...known].map((origin) => `${origin}/`);
  return (url) => {
    for (const prefix of prefixes) if (url.startsWith(prefix)) return true;
    // Not normalized (upper case, default port, no path) or foreign: let URL decide.
    try {
      return known.has(new URL(url).origin);
    } catch {
      return false;
    }
  };
}

/** Whether fetch can send this `init.body` a second time (a stream can be read only once). */
function replayable(body: BodyInit | null | undefined): boolean {
  return (
    body === undefined ||
    body === null ||
    typeof body === 'string' ||
    body instanceof URLSearchParams ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    (typeof Blob === 'function' && body instanceof Blob) ||
    (typeof FormData === 'function' && body instanceof FormData)
  );
}

function withToken(init: RequestInit | undefined, token: string): RequestInit {
  const headers = init?.headers;
  if (headers === undefined) return { ...init, headers: { authorization: `Bearer ${token}` } };
  // Headers replaces an `Authorization` of any case the caller set.
  const merged = new Headers(headers);
  merged.set('authorization', `Bearer ${token}`);
  return { ...init, headers: merged };
}

/** What a `Request` does not hold: `init` without the standard `RequestInit` members. */
const REQUEST_INIT_KEYS = new Set([
  'method',
  'headers',
  'body',
  'mode',
  'credentials',
  'cache',
  'redirect',
  'referrer',
  'referrerPolicy',
  'integrity',
  'keepalive',
  'signal',
  'window',
  'duplex',
  'priority',
]);

/**
 * The members of `init` that only the runtime's fetch understands (undici's `dispatcher`,
 * Bun's `verbose` or `proxy`…), to pass on beside our copy of a `Request`; `undefined` when
 * there are none
 * (the usual case: no `init`, or `{}` from ky).
 */
function fetchOnly(init: RequestInit | undefined): RequestInit | undefined {
  let extras: Record<string, unknown> | undefined;
  for (const key in init) {
    if (REQUEST_INIT_KEYS.has(key)) continue;
    extras ??= {};
    extras[key] = (init as Record<string, unknown>)[key];
  }
  return extras;
}

/** Whether `init` sets anything a `Request` holds. */
function changesRequest(init: RequestInit | undefined): boolean {
  for (const key in init) if (REQUEST_INIT_KEYS.has(key)) return true;
  return false;
}

function discard(response: Response): void {
  response.body?.cancel().catch(() => {});
}

/**
 * A `fetch` that puts a GoTo access token on requests to GoTo and recovers once when GoTo
 * rejects it. Use it wherever a `fetch` goes: called directly, or given to ky, openapi-fetch,
 * ofetch and the like as their `fetch` option.
 *
 * - Requests to the configured origins get `Authorization: Bearer <token>` (replacing any
 *   `Authorization` already there); requests to any other origin are passed on untouched.
 *   On a redirect to another origin, fetch itself drops the header (the Fetch standard, as
 *   undici, Deno and browsers implement it), and a rejection from that other origin is not
 *   taken as ours.
 * - The token comes from `auth.cachedToken()`, else `await auth.getToken({ signal })`.
 * - A 401, or a 403 with `int_err_code` `InvalidToken` (read from a clone, at most 64 KiB),
 *   calls `auth.invalidate(token)` and sends the request once more with the fresh token, when
 *   its body can be sent again: none, a string, `URLSearchParams`, `ArrayBuffer` or a typed
 *   array, `Blob`, `FormData`, or a `Request` (sent through `request.clone()`, which keeps a
 *   copy of a streamed body in memory until the answer). A `ReadableStream` given as
 *   `init.body` can be read only once: its rejection comes back as it is (the token is still
 *   invalidated, so the next call gets a fresh one). The second answer comes back whatever it is.
 * - The caller's `AbortSignal` is honoured before and during the wait for a token and on the
 *   retry; an aborted call rejects with the signal's reason, as fetch does.
 * - When no token can be had, the call rejects with core's `GoToAuthError`.
 *
 * @throws GoToAuthError at once, when an origin in `options.origins` is not https:// or loopback
 * @example
 * ```ts
 * const gotoFetch = goToFetch(auth);
 * const response = await gotoFetch(`${auth.baseUrl}/admin/rest/v1/me`);
 * const me = await response.json();
 * ```
 */
export function goToFetch(auth: GoToAuth, options: GoToFetchOptions = {}): FetchFunction {
  const send = options.fetch ?? globalThis.fetch;
  const isGoTo = goToOriginMatcher(auth, options.origins, 'goToFetch');

  const waitForToken = async (signal: AbortSignal | null | undefined): Promise<string> => {
    // fetch rejects with the signal's reason: so do we, before and during the wait.
    if (signal?.aborted) throw signal.reason;
    try {
      return (await auth.getToken({ signal: signal ?? undefined })).accessToken;
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw error;
    }
  };

  /** After a 401 or 403: whether it rejects `token` (then invalidated). */
  const rejected = async (response: Response, token: string): Promise<boolean> => {
    // Redirected elsewhere: the rejection is not about our token (which did not go there).
    if (response.redirected && !isGoTo(response.url)) return false;
    if (!(await isRejectedResponse(response))) return false;
    auth.invalidate(token);
    return true;
  };

  const fromRequest = async (input: Request, init: RequestInit | undefined): Promise<Response> => {
    const extras = fetchOnly(init);
    // A copy: the caller's Request keeps its headers, so it can never carry our token elsewhere.
    // Without a body or init to apply, clone() is the cheaper copy.
    const request =
      input.body === null && !changesRequest(init) ? input.clone() : new Request(input, init);
    const { signal } = request;
    let token = auth.cachedToken()?.accessToken ?? (await waitForToken(signal));
    request.headers.set('authorization', `Bearer ${token}`);
    const oneShot = init?.body !== undefined && !replayable(init.body);
    const spare = request.body === null || oneShot ? undefined : request.clone();
    const response = await send(request, extras);
    if (response.status !== 401 && response.status !== 403) return response;
    if (!(await rejected(response, token)) || oneShot) return response;
    discard(response);
    token = await waitForToken(signal);
    const again = new Request(spare ?? request, { signal });
    again.headers.set('authorization', `Bearer ${token}`);
    return send(again, extras);
  };

  return async function goToFetchCall(input, init) {
    if (typeof input !== 'string' && !('href' in input)) {
      return isGoTo(input.url) ? fromRequest(input, init) : send(input, init);
    }
    if (!isGoTo(typeof input === 'string' ? input : input.href)) return send(input, init);
    const signal = init?.signal;
    let token = auth.cachedToken()?.accessToken ?? (await waitForToken(signal));
    const response = await send(input, withToken(init, token));
    if (response.status !== 401 && response.status !== 403) return response;
    if (!(await rejected(response, token)) || !replayable(init?.body)) return response;
    discard(response);
    token = await waitForToken(signal);
    return send(input, withToken(init, token));
  };
}
