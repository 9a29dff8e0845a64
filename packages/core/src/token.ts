import { GoToAuthError } from './errors.js';

/**
 * A GoTo access token with the account facts GoTo sends beside it.
 *
 * Absent or blank values are `undefined`. Long digit ids (`organizerKey`, `accountKey`) stay
 * strings: they exceed `Number.MAX_SAFE_INTEGER`.
 *
 * `JSON.stringify(token)` and `util.inspect(token)` redact both tokens, so a token that slips
 * into a log line leaks nothing; read `token.accessToken` directly when you need it.
 */
export interface GoToToken {
  /** The bearer token for `Authorization: Bearer …`. */
  readonly accessToken: string;
  /** The token for the `refresh_token` grant, when GoTo sent one. */
  readonly refreshToken: string | undefined;
  /** Always `'Bearer'` (GoTo omits `token_type`). */
  readonly tokenType: 'Bearer';
  /** When the access token expires, in epoch milliseconds, counted from when the request was sent. */
  readonly expiresAt: number;
  /** When the grant request was sent, in epoch milliseconds. */
  readonly issuedAt: number;
  /** When the refresh token expires (issue time + 30 days unless GoTo says otherwise). */
  readonly refreshTokenExpiresAt: number | undefined;
  /** The GoTo organizer key (a long digit string). */
  readonly organizerKey: string | undefined;
  /** The GoTo account key (a long digit string). */
  readonly accountKey: string | undefined;
  /** `'personal'` or `'corporate'`, when GoTo says. */
  readonly accountType: 'personal' | 'corporate' | undefined;
  /** The organizer's first name (GoToMeeting only). */
  readonly firstName: string | undefined;
  /** The organizer's last name (GoToMeeting only). */
  readonly lastName: string | undefined;
  /** The organizer's email (GoToMeeting only). */
  readonly email: string | undefined;
  /** The platform of the account, such as `'GLOBAL'`. */
  readonly platform: string | undefined;
  /** The version of the access token, such as `'2'`. */
  readonly version: string | undefined;
  /** Who the token acts for, as GoTo names them (its `principal`, usually an email), when sent. */
  readonly principal: string | undefined;
  /** The scopes GoTo granted, space-separated, when sent. */
  readonly scope: string | undefined;
}

type TokenFields = { -readonly [K in keyof GoToToken]: GoToToken[K] };

const REDACTED = '[redacted]';

function redactedView(token: GoToToken): Record<string, unknown> {
  return {
    ...token,
    accessToken: REDACTED,
    refreshToken: token.refreshToken === undefined ? undefined : REDACTED,
  };
}

// A shared prototype keeps the redaction off every instance and costs nothing per token.
const tokenPrototype = {
  toJSON(this: GoToToken) {
    return redactedView(this);
  },
  [Symbol.for('nodejs.util.inspect.custom')](this: GoToToken) {
    return redactedView(this);
  },
  [Symbol.for('Deno.customInspect')](this: GoToToken) {
    return JSON.stringify(redactedView(this));
  },
};
for (const key of Reflect.ownKeys(tokenPrototype)) {
  Object.defineProperty(tokenPrototype, key, { enumerable: false });
}

/** Builds a frozen token object with the redacting prototype. */
export function createToken(fields: TokenFields): GoToToken {
  return Object.freeze(Object.assign(Object.create(tokenPrototype) as TokenFields, fields));
}

/** The same token without its refresh token (one that no longer works). */
export function withoutRefreshToken(token: GoToToken): GoToToken {
  return createToken({
    ...fieldsOf(token),
    refreshToken: undefined,
    refreshTokenExpiresAt: undefined,
  });
}

/**
 * A refreshed token, completed from the token it replaces: GoTo's refresh answer may carry no
 * refresh token (the old one lives on, with its expiry) and none of the account facts.
 */
export function withPrevious(fresh: GoToToken, previous: GoToToken): GoToToken {
  const fields = fieldsOf(fresh);
  const before = fieldsOf(previous);
  for (const key of Object.keys(fields) as (keyof TokenFields)[]) {
    if (fields[key] === undefined) (fields as Record<string, unknown>)[key] = before[key];
  }
  return createToken(fields);
}

function fieldsOf(token: GoToToken): TokenFields {
  return { ...token };
}

/**
 * Serializes a token with its secrets, for {@link TokenStore} implementations.
 * The result is a secret: keep it out of logs.
 */
export function serializeToken(token: GoToToken): string {
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(token)) plain[key] = value;
  return JSON.stringify(plain);
}

/**
 * The account facts GoTo may send beside a token, in the order a token holds them: all optional
 * strings but `accountType`.
 */
export const FACTS = [
  'organizerKey',
  'accountKey',
  'accountType',
  'firstName',
  'lastName',
  'email',
  'platform',
  'version',
  'principal',
  'scope',
] as const;

/** `'personal'` or `'corporate'`, or `undefined` for anything else. */
export function accountTypeOf(value: unknown): GoToToken['accountType'] {
  return value === 'personal' || value === 'corporate' ? value : undefined;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Reads a token written by {@link serializeToken}.
 *
 * @throws {@link GoToAuthError} `STORE_ERROR` when the text is not a stored token.
 */
export function deserializeToken(text: string): GoToToken {
  let record: Record<string, unknown> | undefined;
  const fail = (why: string) => new GoToAuthError('STORE_ERROR', `The stored token ${why}.`);
  try {
    record = JSON.parse(text);
  } catch {
    throw fail('is not valid JSON');
  }
  const { accessToken, expiresAt, issuedAt, refreshTokenExpiresAt } = record ?? {};
  if (typeof accessToken !== 'string' || accessToken === '') throw fail('has no access token');
  if (typeof expiresAt !== 'number' || typeof issuedAt !== 'number') throw fail('has no expiry');
  const fields: Record<string, unknown> = {
    accessToken,
    refreshToken: optionalString(record?.refreshToken),
    tokenType: 'Bearer',
    expiresAt,
    issuedAt,
    refreshTokenExpiresAt:
      typeof refreshTokenExpiresAt === 'number' && Number.isFinite(refreshTokenExpiresAt)
        ? refreshTokenExpiresAt
        : undefined,
  };
  for (const key of FACTS) {
    fields[key] =
      key === 'accountType' ? accountTypeOf(record?.[key]) : optionalString(record?.[key]);
  }
  return createToken(fields as TokenFields);
}
