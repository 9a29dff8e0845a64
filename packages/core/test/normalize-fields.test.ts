import { describe, expect, it } from 'vitest';
import { normalizeTokenResponse } from '../src/index.js';

const NOW = 1_000;

describe('normalizeTokenResponse, field by field', () => {
  it('reads snake_case names, principal, scope and the refresh token lifetime', () => {
    const token = normalizeTokenResponse(
      {
        access_token: 'a',
        refresh_token: 'r',
        refresh_token_expires_in: '60',
        first_name: 'F',
        last_name: 'L',
        principal: 'p@example.com',
        scope: 'a b',
        account_type: 'PERSONAL',
        organizer_key: 123,
        account_key: 2 ** 53,
      },
      NOW,
    );
    expect({ ...token }).toMatchObject({
      refreshTokenExpiresAt: NOW + 60_000,
      firstName: 'F',
      lastName: 'L',
      principal: 'p@example.com',
      scope: 'a b',
      accountType: 'personal',
      organizerKey: '123',
      accountKey: undefined,
    });
    expect(
      normalizeTokenResponse({ access_token: 'a', refresh_token: 'r' }, NOW).refreshTokenExpiresAt,
    ).toBe(NOW + 2_592_000_000);
    expect(
      normalizeTokenResponse(
        { access_token: 'a', account_type: 'team', email: null, platform: '' },
        NOW,
      ),
    ).toMatchObject({ accountType: undefined, email: undefined, platform: undefined });
    expect(
      normalizeTokenResponse({ access_token: 'a', firstName: 'X', first_name: 'Y' }, NOW).firstName,
    ).toBe('X');
  });

  it('refuses a bad refresh_token_expires_in, naming the field', () => {
    expect(() =>
      normalizeTokenResponse({ access_token: 'a', refresh_token_expires_in: 0 }, NOW),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_RESPONSE',
        message:
          'GoTo\'s token response has a "refresh_token_expires_in" that is not a positive number of seconds.',
      }),
    );
  });

  it.each([
    ['{"access_token":"a",', "GoTo's token response is not JSON."],
    ['[]', "GoTo's token response is not a JSON object."],
    ['null', "GoTo's token response is not a JSON object."],
    ['{"access_token":" "}', 'GoTo\'s token response has no "access_token".'],
    [
      '{"access_token":"a","token_type":"mac"}',
      'GoTo\'s token response has a "token_type" other than Bearer.',
    ],
    [
      '{"access_token":"a","expires_in":"1e3"}',
      'GoTo\'s token response has a "expires_in" that is not a positive number of seconds.',
    ],
  ])('refuses %s: %s', (body, message) => {
    expect(() => normalizeTokenResponse(body, NOW)).toThrow(expect.objectContaining({ message }));
  });

  it('forgives only a trailing comma before the closing brace, with spaces around', () => {
    expect(normalizeTokenResponse('{"access_token":"a",}', NOW).accessToken).toBe('a');
    expect(normalizeTokenResponse('{"access_token":"a" ,\n }\n', NOW).accessToken).toBe('a');
    for (const body of [
      '{"access_token":"a",}x',
      '{"access_token":"a"}}',
      '{"access_token":,}',
      '[1,]',
    ]) {
      expect(() => normalizeTokenResponse(body, NOW)).toThrow(
        expect.objectContaining({ code: 'INVALID_RESPONSE' }),
      );
    }
  });

  it('counts expiry from now, by default the clock', () => {
    const before = Date.now();
    const token = normalizeTokenResponse({ access_token: 'a', expires_in: 10 });
    expect(token.issuedAt).toBeGreaterThanOrEqual(before);
    expect(token.issuedAt).toBeLessThanOrEqual(Date.now());
    expect(token.expiresAt).toBe(token.issuedAt + 10_000);
  });
});
