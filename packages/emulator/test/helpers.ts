import { afterEach, expect } from 'vitest';
import {
  EMULATOR_DEFAULTS,
  type EmulatorOptions,
  type GoToEmulator,
  startEmulator,
} from '../src/index.js';

/** A `startEmulator` whose emulators are all closed after each test of the file. */
export function closedAfterEach(): (options?: EmulatorOptions) => Promise<GoToEmulator> {
  const started: GoToEmulator[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((emulator) => emulator.close()));
  });
  return async (options) => {
    const emulator = await startEmulator(options);
    started.push(emulator);
    return emulator;
  };
}

export const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

/**
 * RFC 6749 2.3.1 form: each part form-urlencoded before base64, the way oauth4webapi (under
 * openid-client) escapes it: `-` becomes `%2D`, a space `+`.
 */
export function basicFormEncoded(id: string, secret: string): string {
  const encode = (s: string) =>
    encodeURIComponent(s).replace(/[-_.!~*'()]|%20/g, (c) =>
      c === '%20' ? '+' : `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    );
  return basic(encode(id), encode(secret));
}

export const DEFAULT_BASIC = basic(EMULATOR_DEFAULTS.clientId, EMULATOR_DEFAULTS.clientSecret);

export function post(
  emulator: GoToEmulator,
  path: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
  base = emulator.url,
): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { ...FORM, ...headers },
    body: new URLSearchParams(params),
  });
}

export function legacyGrant(
  emulator: GoToEmulator,
  overrides: Record<string, string> = {},
): Promise<Response> {
  return post(emulator, '/oauth/access_token', {
    grant_type: 'password',
    user_id: EMULATOR_DEFAULTS.userId,
    password: EMULATOR_DEFAULTS.password,
    client_id: EMULATOR_DEFAULTS.clientId,
    ...overrides,
  });
}

export function v2Password(
  emulator: GoToEmulator,
  overrides: Record<string, string> = {},
  authorization = DEFAULT_BASIC,
): Promise<Response> {
  const params = {
    grant_type: 'password',
    username: EMULATOR_DEFAULTS.userId,
    password: EMULATOR_DEFAULTS.password,
    ...overrides,
  };
  return post(emulator, '/oauth/v2/token', params, { Authorization: authorization });
}

export function v2Refresh(
  emulator: GoToEmulator,
  refreshToken: string,
  authorization = DEFAULT_BASIC,
): Promise<Response> {
  const params = { grant_type: 'refresh_token', refresh_token: refreshToken };
  return post(emulator, '/oauth/v2/token', params, { Authorization: authorization });
}

export interface TokenBody {
  access_token: string;
  refresh_token: string;
  expires_in: string;
  [key: string]: string;
}

export async function tokens(response: Response | Promise<Response>): Promise<TokenBody> {
  const res = await response;
  if (res.status !== 200) throw new Error(`expected 200, got ${res.status}: ${await res.text()}`);
  return (await res.json()) as TokenBody;
}

export function me(emulator: GoToEmulator, accessToken?: string): Promise<Response> {
  const headers: Record<string, string> =
    accessToken === undefined ? {} : { Authorization: `Bearer ${accessToken}` };
  return fetch(`${emulator.url}/admin/rest/v1/me`, { headers });
}

/** `POST /oauth/token` (the authentication host's path) with Basic client auth. */
export function oauthToken(
  emulator: GoToEmulator,
  params: Record<string, string>,
  authorization = DEFAULT_BASIC,
): Promise<Response> {
  return post(emulator, '/oauth/token', params, { Authorization: authorization }, emulator.authUrl);
}

/** `GET /oauth/authorize` without following the redirect. */
export function authorize(
  emulator: GoToEmulator,
  params: Record<string, string>,
): Promise<Response> {
  const query = new URLSearchParams(params);
  return fetch(`${emulator.authUrl}/oauth/authorize?${query}`, { redirect: 'manual' });
}

export const REDIRECT_URI = 'http://127.0.0.1:3000/auth/callback';

/** The query of a redirect answer, after checking it is one to `REDIRECT_URI` (or `base`). */
export function redirectParams(res: Response, base = REDIRECT_URI): URLSearchParams {
  if (res.status !== 302) throw new Error(`expected 302, got ${res.status}`);
  const location = new URL(res.headers.get('location') ?? '');
  expect(`${location.origin}${location.pathname}`).toBe(new URL(base).href.split('?')[0]);
  return location.searchParams;
}

/** Approves at once (`auto=approve`) and returns the code. */
export async function approvedCode(
  emulator: GoToEmulator,
  params: Record<string, string> = {},
): Promise<string> {
  const res = await authorize(emulator, {
    client_id: EMULATOR_DEFAULTS.clientId,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    state: 'st',
    auto: 'approve',
    ...params,
  });
  const code = redirectParams(res, params.redirect_uri ?? REDIRECT_URI).get('code');
  if (!code) throw new Error('no code in the redirect');
  return code;
}

export function exchangeCode(
  emulator: GoToEmulator,
  code: string,
  overrides: Record<string, string> = {},
  authorization = DEFAULT_BASIC,
): Promise<Response> {
  const params = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI };
  return oauthToken(emulator, { ...params, ...overrides }, authorization);
}

export function identity(emulator: GoToEmulator, accessToken?: string): Promise<Response> {
  const headers: Record<string, string> =
    accessToken === undefined ? {} : { Authorization: `Bearer ${accessToken}` };
  return fetch(`${emulator.url}/identity/v1/Users/me`, { headers });
}

export async function json(
  response: Response | Promise<Response>,
): Promise<Record<string, unknown>> {
  return (await (await response).json()) as Record<string, unknown>;
}
