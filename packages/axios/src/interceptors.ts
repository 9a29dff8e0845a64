import { type GoToAuth, goToOriginMatcher, isTokenRejection } from '@goto-auth/core';
import type { AxiosError, AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios';

declare module 'axios' {
  interface AxiosRequestConfig {
    /**
     * Set by `attachGoToAuth` on the one retry of a request GoTo rejected, so it is never
     * retried again. Set it to `true` yourself to keep a request from being retried.
     */
    goToAuthRetried?: boolean;
  }
}

/** Options of {@link attachGoToAuth}. */
export interface AttachGoToAuthOptions {
  /**
   * The origins (`scheme://host[:port]`) that receive the token. Requests to any other origin
   * are left untouched, so the token never leaks to a third party. Full URLs are accepted and
   * reduced to their origin. Each must be `https://`, or `http://` on a loopback host
   * (`localhost`, `127.0.0.0/8`, `::1`): anything else throws a `GoToAuthError` at once.
   *
   * @defaultValue `[new URL(auth.baseUrl).origin]`
   */
  origins?: readonly string[];
}

/** The longest 403 text body parsed to look for `InvalidToken`. */
const TEXT_CAP = 65_536;

/** axios's `isAbsoluteURL`: a scheme and `//`, or a protocol-relative `//`. */
const ABSOLUTE = /^([a-z][a-z\d+\-.]*:)?\/\//i;

/**
 * The URL axios will request, as its `buildFullPath` computes it: `url` alone when absolute
 * (unless `allowAbsoluteUrls` is `false`), else `baseURL` and `url` joined by one '/'.
 * The query (`params`) cannot change the origin, so it is left out.
 */
function fullUrl(config: InternalAxiosRequestConfig): string {
  const url = config.url ?? '';
  const base = config.baseURL;
  if (!base || (ABSOLUTE.test(url) && config.allowAbsoluteUrls !== false)) return url;
  if (url === '') return base;
  return `${base.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`;
}

/** Whether axios can send this `data` again (a stream is read once). */
function replayable(data: unknown): boolean {
  if (typeof data !== 'object' || data === null) return true;
  return (
    typeof (data as { pipe?: unknown }).pipe !== 'function' &&
    !(typeof ReadableStream === 'function' && data instanceof ReadableStream)
  );
}

/** GoTo's 403 body as axios parsed it: JSON already, or text when `responseType` said so. */
function rejectionBody(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  if (data.length > TEXT_CAP) return undefined;
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/**
 * Adds two interceptors to an axios instance: one puts a GoTo access token on requests to GoTo,
 * the other recovers once when GoTo rejects it.
 *
 * - Request: when the URL axios will request (`baseURL` + `url`, or an absolute `url`) has one
 *   of the configured origins, sets `Authorization: Bearer <token>` (replacing any there) from
 *   `auth.cachedToken()`, else `await auth.getToken({ signal })`. Other requests are left alone.
 *   axios (through follow-redirects) drops the header on a redirect to another host.
 * - Response: a 401, or a 403 with `int_err_code` `InvalidToken`, on a request that still
 *   carried our token calls `auth.invalidate(token)` and sends the request once more through
 *   the same instance, with the fresh token. The retry is marked (`config.goToAuthRetried`),
 *   so it can never loop; a second rejection reaches the caller as axios's error. Many
 *   requests rejected together make one grant: core refreshes once for all of them, across
 *   every instance attached to the same auth object.
 * - A request whose `data` is a stream is not retried (a stream is read once): its rejection
 *   reaches the caller, and the token is still invalidated, so the next request gets a fresh one.
 * - When no token can be had, the request rejects with core's `GoToAuthError` and is not sent.
 *   An aborted `signal` rejects as axios does (`CanceledError`), without sending.
 *
 * @returns a function that removes both interceptors
 * @throws GoToAuthError at once, when an origin in `options.origins` is not https:// or loopback
 * @example
 * ```ts
 * const goto = axios.create({ baseURL: auth.baseUrl });
 * const detach = attachGoToAuth(goto, auth);
 * const { data: me } = await goto.get('/admin/rest/v1/me');
 * ```
 */
export function attachGoToAuth(
  instance: AxiosInstance,
  auth: GoToAuth,
  options: AttachGoToAuthOptions = {},
): () => void {
  const isGoTo = goToOriginMatcher(auth, options.origins, 'attachGoToAuth');
  // The token each request was sent with, by the config object axios hands back on its answer.
  const sent = new WeakMap<object, string>();

  // The token each GoTo request may take at once, found by `runWhen` just before axios runs
  // the interceptors (in the same turn).
  const ready = new WeakMap<object, string>();

  const setToken = (config: InternalAxiosRequestConfig, token: string) => {
    config.headers.set('Authorization', `Bearer ${token}`);
    sent.set(config, token);
    return config;
  };

  // Two interceptors, exactly one of which runs for a GoTo request: the usual request (a cached
  // token) stays on axios's synchronous path, without a promise chain for the request
  // interceptors. axios asks every interceptor's runWhen, in the order they were added, before
  // it runs any: `cached` first, so `waiting` knows whether it has to.
  //
  // Interceptors added after these run before them, on the config runWhen saw or on a copy, and
  // may point the request elsewhere: both look at the URL again when they run, so the token
  // follows the request's final URL and never leaves for another origin.
  /** Waits for a token (one refresh for every request that waits), then sets it. */
  const withToken = async (config: InternalAxiosRequestConfig) => {
    const signal = config.signal as AbortSignal | undefined;
    try {
      return setToken(config, (await auth.getToken({ signal })).accessToken);
    } catch (error) {
      // axios itself rejects an aborted request with its CanceledError, before sending.
      if (signal?.aborted) return config;
      throw error;
    }
  };

  const cached = instance.interceptors.request.use(
    (config) => {
      if (!isGoTo(fullUrl(config))) return config;
      // A copied config is not in `ready`; the token is still cached in this turn, unless an
      // asynchronous interceptor ran in between (then axios's chain is on promises, and this
      // one may wait like `waiting`).
      const token = auth.cachedToken()?.accessToken ?? ready.get(config);
      return token === undefined ? withToken(config) : setToken(config, token);
    },
    undefined,
    {
      synchronous: true,
      runWhen: (config) => {
        const token = auth.cachedToken()?.accessToken;
        if (token === undefined || !isGoTo(fullUrl(config))) return false;
        ready.set(config, token);
        return true;
      },
    },
  );
  const waiting = instance.interceptors.request.use(
    async (config) => (isGoTo(fullUrl(config)) ? withToken(config) : config),
    undefined,
    { runWhen: (config) => !ready.has(config) && isGoTo(fullUrl(config)) },
  );

  const recover = async (
    config: InternalAxiosRequestConfig | undefined,
    status: number | undefined,
    data: unknown,
  ): Promise<AxiosResponse | undefined> => {
    if (config === undefined || (status !== 401 && status !== 403)) return undefined;
    const token = sent.get(config);
    // Another interceptor replaced our header: the rejection is not about our token.
    if (token === undefined || config.headers.get('Authorization') !== `Bearer ${token}`) {
      return undefined;
    }
    if (!isTokenRejection(status, status === 403 ? rejectionBody(data) : undefined)) {
      return undefined;
    }
    // A stale rejection (an older token) is ignored by invalidate(): the retry then simply
    // carries the current token.
    auth.invalidate(token);
    if (config.goToAuthRetried === true || !replayable(config.data)) return undefined;
    config.goToAuthRetried = true;
    return instance.request(config);
  };

  const responseId = instance.interceptors.response.use(
    async (response) => {
      // A validateStatus that accepts 401 or 403 brings the rejection here.
      if (response.status !== 401 && response.status !== 403) return response;
      return (await recover(response.config, response.status, response.data)) ?? response;
    },
    async (error: AxiosError) => {
      const response = error.response;
      const retried = await recover(error.config, response?.status, response?.data);
      if (retried === undefined) throw error;
      return retried;
    },
  );
  return () => {
    instance.interceptors.request.eject(waiting);
    instance.interceptors.request.eject(cached);
    instance.interceptors.response.eject(responseId);
  };
}
