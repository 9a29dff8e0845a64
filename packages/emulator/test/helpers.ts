import { EMULATOR_DEFAULTS, type GoToEmulator } from '../src/index.js';

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
): Promise<Response> {
  return fetch(`${emulator.url}${path}`, {
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
