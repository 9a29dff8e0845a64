import { GoToAuthError } from './errors.js';
import { accountTypeOf, createToken, FACTS, type GoToToken } from './token.js';

/** GoTo documents refresh tokens as valid for 30 days. */
const REFRESH_TOKEN_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;
/** GoTo documents access tokens as valid for 60 minutes; used when `expires_in` is absent. */
const DEFAULT_EXPIRES_IN_S = 3600;

// GoTo's documentation shows its example answer ending in `"version":"2", }`.
const DOCUMENTED_TRAILING_COMMA = /,\s*}\s*$/;

function invalid(why: string): GoToAuthError {
  return new GoToAuthError('INVALID_RESPONSE', `GoTo's token response ${why}.`);
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Only the documented quirk is forgiven; anything else that is not JSON is refused.
    if (DOCUMENTED_TRAILING_COMMA.test(text)) {
      try {
        return JSON.parse(text.replace(DOCUMENTED_TRAILING_COMMA, '}'));
      } catch {
        // fall through
      }
    }
    // The message never quotes the text: it may hold a token.
    throw invalid('is not JSON');
  }
}

/**
 * A descriptive field: a string, or a safe integer sent as a number. Anything else is dropped
 * (and named in `dropped`): GoTo has already minted the token, which revoked the others, so a
 * cosmetic field of an odd type must not throw the token away.
 */
function text(record: Record<string, unknown>, key: string, dropped: string[]): string | undefined {
  const value = record[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  dropped.push(key);
  return undefined;
}

function seconds(record: Record<string, unknown>, key: string): number | undefined {
  const value = record[key];
  if (value === undefined || value === null || value === '') return undefined;
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d+$/.test(value.trim())
        ? Number(value)
        : Number.NaN;
  if (!Number.isFinite(n) || n <= 0) {
    throw invalid(`has a "${key}" that is not a positive number of seconds`);
  }
  return n;
}

/** A normalized token and the descriptive fields that were dropped for their type. */
export interface ParsedTokenResponse {
  token: GoToToken;
  /** Names of fields GoTo sent with an unexpected type (a number beyond 2^53, an object…). */
  dropped: string[];
}

/**
 * {@link normalizeTokenResponse}, also naming the fields it dropped, so the manager can warn.
 * @internal
 */
export function parseTokenResponse(body: unknown, now: number): ParsedTokenResponse {
  const value = typeof body === 'string' ? parse(body) : body;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('is not a JSON object');
  }
  const record = value as Record<string, unknown>;

  const accessToken = record.access_token;
  if (typeof accessToken !== 'string' || accessToken.trim() === '') {
    throw invalid('has no "access_token"');
  }
  const tokenType = record.token_type;
  if (
    tokenType !== undefined &&
    tokenType !== '' &&
    (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer')
  ) {
    throw invalid('has a "token_type" other than Bearer');
  }
  const dropped: string[] = [];
  const field = (key: string) => text(record, key, dropped);
  const expiresIn = seconds(record, 'expires_in') ?? DEFAULT_EXPIRES_IN_S;
  // A refresh token of an odd type is dropped like a cosmetic field: the next refresh is a
  // password grant, which is better than discarding an access token that already revoked others.
  const refreshToken = field('refresh_token');
  const refreshExpiresIn = seconds(record, 'refresh_token_expires_in');
  const fields: Record<string, unknown> = {
    accessToken,
    refreshToken,
    tokenType: 'Bearer',
    expiresAt: now + expiresIn * 1000,
    issuedAt: now,
    refreshTokenExpiresAt:
      refreshToken === undefined
        ? undefined
        : now +
          (refreshExpiresIn === undefined ? REFRESH_TOKEN_LIFETIME_MS : refreshExpiresIn * 1000),
  };
  for (const key of FACTS) {
    // GoTo names them in snake_case; the names GoToMeeting sends in camelCase come first.
    const snake = key.replace(/[A-Z]/, (c) => `_${c.toLowerCase()}`);
    const value =
      (key === 'firstName' || key === 'lastName' ? field(key) : undefined) ?? field(snake);
    fields[key] = key === 'accountType' ? accountTypeOf(value?.toLowerCase()) : value;
  }
  const token = createToken(fields as Parameters<typeof createToken>[0]);
  return { token, dropped };
}

/**
 * Turns GoTo's token response into a {@link GoToToken}. Pure: no I/O, no clock unless `now`
 * is omitted.
 *
 * Accepts GoTo's quirks: no `token_type`, `expires_in` as a string, blank strings for absent
 * values, long digit ids, and the trailing comma of GoTo's documented example. A descriptive
 * field of an unexpected type (an id beyond 2^53 sent as a number, a non-string `email`) is
 * dropped, never a reason to refuse the token.
 *
 * @param body - the parsed JSON object, or the raw response text
 * @param now - when the grant request was sent, in epoch ms; expiry counts from here
 * @throws {@link GoToAuthError} `INVALID_RESPONSE` for anything that is not a usable token
 * response. The message names the field, never its value.
 *
 * @example
 * ```ts
 * const token = normalizeTokenResponse('{"access_token":"…","expires_in":"3600"}', sentAt);
 * token.expiresAt === sentAt + 3_600_000;
 * ```
 */
export function normalizeTokenResponse(body: unknown, now: number = Date.now()): GoToToken {
  return parseTokenResponse(body, now).token;
}
