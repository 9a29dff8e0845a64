import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GoToAuthError, isGoToAuthError, normalizeTokenResponse } from '../src/index.js';
import { propertyRuns } from './helpers.js';

// GoTo's documented example answer, verbatim, trailing comma included.
const DOCUMENTED = `{  "access_token":"RlUe11faKeyCWxZToK3nk0uTKAL",  "expires_in":"3600",  "refresh_token":"d1cp20yB3hrFAKeTokenTr49EZ34kTvNK",  "organizer_key":"8439885694023999999",  "account_key":"9999982253621659654",  "account_type":"",  "firstName":"Mahar",  "lastName":"Singh",  "email":"",  "platform":"GLOBAL",  "version":"2", }`;

const NOW = 1_700_000_000_000;

describe('normalizeTokenResponse', () => {
  it('normalizes the documented example verbatim', () => {
    const token = normalizeTokenResponse(DOCUMENTED, NOW);
    expect({ ...token }).toEqual({
      accessToken: 'RlUe11faKeyCWxZToK3nk0uTKAL',
      refreshToken: 'd1cp20yB3hrFAKeTokenTr49EZ34kTvNK',
      tokenType: 'Bearer',
      expiresAt: NOW + 3_600_000,
      issuedAt: NOW,
      refreshTokenExpiresAt: NOW + 30 * 24 * 3_600_000,
      organizerKey: '8439885694023999999',
      accountKey: '9999982253621659654',
      accountType: undefined,
      firstName: 'Mahar',
      lastName: 'Singh',
      email: undefined,
      platform: 'GLOBAL',
      version: '2',
    });
  });

  it('keeps ids beyond 2^53 exact', () => {
    const token = normalizeTokenResponse(DOCUMENTED, NOW);
    expect(token.organizerKey).toBe('8439885694023999999');
    expect(BigInt(token.organizerKey ?? '0') > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(token.accountKey).toBe('9999982253621659654');
  });

  it('accepts a parsed object, numeric expires_in and a Bearer token_type', () => {
    const token = normalizeTokenResponse(
      { access_token: 'a', expires_in: 60, token_type: 'bearer', account_type: 'Corporate' },
      NOW,
    );
    expect(token.expiresAt).toBe(NOW + 60_000);
    expect(token.accountType).toBe('corporate');
    expect(token.refreshToken).toBeUndefined();
    expect(token.refreshTokenExpiresAt).toBeUndefined();
  });

  it.each([
    ['malformed JSON', '{"access_token":"a",'],
    ['HTML', '<html><body>502 Bad Gateway</body></html>'],
    ['no access_token', '{"expires_in":"3600","organizer_key":"1"}'],
    ['blank access_token', '{"access_token":"","expires_in":"3600"}'],
    ['non-numeric expires_in', '{"access_token":"a","expires_in":"soon"}'],
    ['negative expires_in', '{"access_token":"a","expires_in":-5}'],
    ['another token_type', '{"access_token":"a","token_type":"mac"}'],
    ['an array', '[1,2]'],
    ['a number', '42'],
    ['two trailing commas', '{"access_token":"a",, }'],
  ])('refuses %s with INVALID_RESPONSE', (_name, body) => {
    expect(() => normalizeTokenResponse(body, NOW)).toThrow(
      expect.objectContaining({ code: 'INVALID_RESPONSE' }),
    );
  });

  it('redacts both tokens from JSON.stringify and util.inspect', async () => {
    const { inspect } = await import('node:util');
    const token = normalizeTokenResponse(DOCUMENTED, NOW);
    for (const text of [
      JSON.stringify(token),
      inspect(token),
      inspect({ nested: token }),
      String(JSON.stringify([token])),
    ]) {
      expect(text).not.toContain('RlUe11faKeyCWxZToK3nk0uTKAL');
      expect(text).not.toContain('d1cp20yB3hrFAKeTokenTr49EZ34kTvNK');
      expect(text).toContain('8439885694023999999');
    }
    expect(token.accessToken).toBe('RlUe11faKeyCWxZToK3nk0uTKAL');
  });

  it('only ever throws GoToAuthError, for any input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.anything()), (input) => {
        try {
          const token = normalizeTokenResponse(input, NOW);
          // What it returns is a usable token.
          return (
            token.accessToken.trim() !== '' && token.expiresAt > NOW && token.tokenType === 'Bearer'
          );
        } catch (error) {
          return error instanceof GoToAuthError && error.code === 'INVALID_RESPONSE';
        }
      }),
      { numRuns: propertyRuns(2000) },
    );
  });

  it('accepts exactly the token responses a reference check accepts', () => {
    const expiresIn = fc.oneof(
      fc.constant(undefined),
      fc.constant(''),
      fc.integer({ min: -5, max: 100_000 }),
      fc.integer({ min: 0, max: 100_000 }).map(String),
      fc.constantFrom('soon', '-1', '1.5', ' 60 '),
    );
    const tokenType = fc.constantFrom(undefined, '', 'Bearer', 'bearer', 'BEARER', 'mac', 5);
    const accessToken = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(undefined, 5, ' '));
    fc.assert(
      fc.property(accessToken, tokenType, expiresIn, fc.boolean(), (at, tt, ei, asText) => {
        const body: Record<string, unknown> = { access_token: at, token_type: tt, expires_in: ei };
        const seconds =
          ei === undefined || ei === ''
            ? 3600
            : typeof ei === 'number'
              ? ei
              : /^\d+$/.test(ei.trim())
                ? Number(ei)
                : Number.NaN;
        const valid =
          typeof at === 'string' &&
          at.trim() !== '' &&
          (tt === undefined ||
            tt === '' ||
            (typeof tt === 'string' && tt.toLowerCase() === 'bearer')) &&
          Number.isFinite(seconds) &&
          seconds > 0;
        let token: ReturnType<typeof normalizeTokenResponse> | undefined;
        try {
          token = normalizeTokenResponse(asText ? JSON.stringify(body) : body, NOW);
        } catch (error) {
          return !valid && isGoToAuthError(error) && error.code === 'INVALID_RESPONSE';
        }
        return valid && token.accessToken === at && token.expiresAt === NOW + seconds * 1000;
      }),
      { numRuns: propertyRuns(2000) },
    );
  });

  it('never puts a secret it was given into an error message', () => {
    // Wrapped in a character no message uses, so a match can only be a leak.
    const secret = fc.string({ minLength: 1, maxLength: 40 }).map((s) => `§${s}§`);
    fc.assert(
      fc.property(
        secret,
        secret,
        fc.constantFrom('soon', '', '-1', 'x', '{}'),
        fc.boolean(),
        (accessToken, refreshToken, expiresIn, breakJson) => {
          const body = {
            access_token: accessToken,
            refresh_token: refreshToken,
            expires_in: expiresIn,
            token_type: expiresIn,
          };
          const text = JSON.stringify(body);
          try {
            normalizeTokenResponse(breakJson ? text.slice(0, -1) : body, NOW);
          } catch (error) {
            const message = String((error as Error).message) + JSON.stringify(error);
            return !message.includes(accessToken) && !message.includes(refreshToken);
          }
          // Only a whole body with blank (absent) expires_in and token_type is a valid answer.
          return !breakJson && expiresIn === '';
        },
      ),
      { numRuns: propertyRuns(1000) },
    );
  });
});
