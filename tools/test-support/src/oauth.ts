/**
 * "Sign in with GoTo" in tests: an OAuth client for the emulator's default client, the
 * emulator's consent answered at once (`auto=approve|deny`), a browser with a cookie jar, and
 * the problem+json answers of the sign-in routes.
 */
import {
  createGoToOAuth,
  type GoToOAuth,
  type GoToOAuthOptions,
  type GoToSignIn,
  type GoToToken,
} from '@goto-auth/core';
import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import { expect } from 'vitest';
import { NO_TIMERS, onCleanup } from './index.ts';

/** The redirect URI the OAuth tests register (any loopback URI is accepted by the emulator). */
export const OAUTH_REDIRECT_URI = 'http://127.0.0.1:3000/auth/callback';

/**
 * A `createGoToOAuth` for the emulator's default client at `server.url`, closed after the
 * test: redirect URI {@link OAUTH_REDIRECT_URI}, quick retries, no floor between grants, no
 * logging. `options` override any of these.
 */
export function oauthClient(
  server: { url: string },
  options: Partial<GoToOAuthOptions> = {},
): GoToOAuth {
  const oauth = createGoToOAuth({
    clientId: EMULATOR_DEFAULTS.clientId,
    clientSecret: EMULATOR_DEFAULTS.clientSecret,
    redirectUri: OAUTH_REDIRECT_URI,
    baseUrl: server.url,
    minGrantInterval: 0,
    retry: { baseDelay: 1, maxDelay: 20 },
    logger: false,
    ...options,
  });
  onCleanup(() => oauth.close());
  return oauth;
}

/**
 * {@link oauthClient} on a test's clock: `now` from `clock`, and timers that never fire (the
 * test moves time itself).
 */
export function oauthClientOnClock(
  server: { url: string },
  clock: { now: () => number },
  options: Partial<GoToOAuthOptions> = {},
): GoToOAuth {
  return oauthClient(server, { now: clock.now, timers: NO_TIMERS, ...options });
}

/**
 * Opens an authorization URL as a browser would, following no redirect: expects the 302 that
 * an authorization server answering at once sends; resolves its `Location` (the callback).
 */
export async function followAuthorization(url: string): Promise<string> {
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return res.headers.get('location') ?? '';
}

/**
 * Follows `oauth`'s authorization URL through the emulator's consent, answered at once
 * (`auto=approve` or `auto=deny`) for `user` (`login_hint`); resolves the callback URL and the
 * state to check it against.
 */
export async function consent(
  oauth: GoToOAuth,
  user: { userId: string },
  decision: 'approve' | 'deny' = 'approve',
): Promise<{ callback: string; state: string }> {
  const { url, state } = oauth.authorizationUrl({
    params: { auto: decision, login_hint: user.userId },
  });
  return { callback: await followAuthorization(url), state };
}

/** Signs `user` in on `oauth`: the emulator's consent, approved, then the callback. */
export async function signIn(oauth: GoToOAuth, user: { userId: string }): Promise<GoToSignIn> {
  const { callback, state } = await consent(oauth, user);
  return oauth.handleCallback(callback, { state });
}

/**
 * The tokens many callers got at once for one principal after its token expired: one token
 * (a single refresh), not `before`, and for `principal`.
 */
export function expectOneNewToken(
  tokens: readonly GoToToken[],
  before: GoToToken,
  principal: string,
): void {
  expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
  expect(tokens[0]?.accessToken).not.toBe(before.accessToken);
  expect(tokens[0]?.principal).toBe(principal);
}

/** A browser for sign-in tests: follows no redirect by itself, keeps cookies by name. */
export class Browser {
  readonly jar = new Map<string, string>();
  /** Every Set-Cookie header value received, in order. */
  readonly setCookies: string[] = [];
  readonly #headers: Record<string, string>;

  /**
   * @param options.close sends `Connection: close`, so no idle keep-alive socket holds up the
   * closing of the app under test.
   */
  constructor(options: { close?: boolean } = {}) {
    this.#headers = options.close === true ? { connection: 'close' } : {};
  }

  /** GETs `url` with the jar's cookies; keeps the answer's cookies (drops expired ones). */
  async get(url: string): Promise<Response> {
    const cookie = [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, {
      redirect: 'manual',
      headers: { ...this.#headers, ...(cookie === '' ? {} : { cookie }) },
    });
    for (const header of response.headers.getSetCookie()) {
      this.setCookies.push(header);
      const [pair = ''] = header.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (value === '' || /max-age=0/i.test(header)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return response;
  }

  /**
   * The login route at `loginUrl`, GoTo's consent (answered at once by the emulator), and the
   * callback; resolves the callback URL and the app's answer to it.
   */
  async signIn(loginUrl: string): Promise<{ callback: string; answer: Response }> {
    const login = await this.get(loginUrl);
    expect(login.status).toBe(302);
    const consent = await this.get(login.headers.get('location') ?? '');
    expect(consent.status).toBe(302);
    const callback = consent.headers.get('location') ?? '';
    return { callback, answer: await this.get(callback) };
  }

  /** The state cookie's Set-Cookie header from the latest login. */
  stateCookie(name = 'goto_auth_state'): string | undefined {
    return this.setCookies.findLast(
      (header) => header.startsWith(`${name}=`) && !/max-age=0/i.test(header),
    );
  }
}

/**
 * Asserts that `response` is a problem+json answer with `status` and `code`, not cached, with
 * no stack trace, and without the client secret or any of `forbidden` (empty values skipped).
 */
export async function expectProblemResponse(
  response: Response,
  status: number,
  code: string,
  forbidden: string[] = [],
): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(response.headers.get('cache-control')).toBe('no-store');
  const text = await response.text();
  expect(JSON.parse(text)).toEqual({
    type: `https://goto-auth.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`,
    title: expect.any(String),
    status,
    detail: expect.any(String),
    code,
  });
  expect(text).not.toMatch(/\bat .*\(|\.ts:\d+|stack/);
  for (const secret of [EMULATOR_DEFAULTS.clientSecret, ...forbidden.filter(Boolean)]) {
    expect(text).not.toContain(secret);
  }
}

/**
 * A README's sign-in from its login route's answer `login` on: the emulator's consent, approved
 * at once for its default user, then the callback, which must send the browser to `returnTo`
 * (a path of `base`), where GoTo's `/me` answers for that user.
 */
export async function expectReadmeSignIn(
  browser: Browser,
  login: Response,
  base: string,
  returnTo: string,
): Promise<void> {
  const consent = await browser.get(`${login.headers.get('location')}&auto=approve`);
  const callback = await browser.get(consent.headers.get('location') ?? '');
  expect(callback.status).toBe(302);
  expect(callback.headers.get('location')).toBe(returnTo);
  const me = await browser.get(`${base}${returnTo}`);
  expect(me.status).toBe(200);
  expect(await me.json()).toMatchObject({ organizerKey: EMULATOR_DEFAULTS.organizerKey });
}
