import { describe, expectTypeOf, it } from 'vitest';
import { type ProblemResponse, problemResponder, toProblem } from '../src/http.js';
import {
  createGoToAuth,
  deserializeToken,
  type FetchFunction,
  type GoToAuth,
  GoToAuthError,
  GoToAuthErrorCode,
  type GoToAuthEvent,
  type GoToAuthOptions,
  type GoToToken,
  goToFetch,
  isGoToAuthError,
  isRejectedResponse,
  isTokenRejection,
  MemoryTokenStore,
  normalizeTokenResponse,
  serializeToken,
  type TokenStore,
} from '../src/index.js';

declare const auth: GoToAuth;

describe('public types', () => {
  it('builds an auth object whose getToken gives a GoToToken', () => {
    expectTypeOf(createGoToAuth).parameter(0).toEqualTypeOf<GoToAuthOptions>();
    expectTypeOf(createGoToAuth).returns.toEqualTypeOf<GoToAuth>();
    expectTypeOf(auth.getToken()).resolves.toEqualTypeOf<GoToToken>();
    expectTypeOf(auth.cachedToken()).toEqualTypeOf<GoToToken | undefined>();
    expectTypeOf(auth.invalidate).returns.toEqualTypeOf<boolean>();
    expectTypeOf(auth.baseUrl).toEqualTypeOf<string>();
    // @ts-expect-error baseUrl is read-only
    auth.baseUrl = 'https://example.com';
  });

  it('types the token: camelCase facts, absent ones undefined, long ids as strings', () => {
    expectTypeOf<GoToToken['accessToken']>().toEqualTypeOf<string>();
    expectTypeOf<GoToToken['tokenType']>().toEqualTypeOf<'Bearer'>();
    expectTypeOf<GoToToken['expiresAt']>().toEqualTypeOf<number>();
    expectTypeOf<GoToToken['organizerKey']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<GoToToken['accountType']>().toEqualTypeOf<'personal' | 'corporate' | undefined>();
    expectTypeOf(normalizeTokenResponse).returns.toEqualTypeOf<GoToToken>();
    expectTypeOf(deserializeToken(serializeToken({} as GoToToken))).toEqualTypeOf<GoToToken>();
  });

  it('narrows errors with isGoToAuthError and a code union', () => {
    const error: unknown = new Error('x');
    if (isGoToAuthError(error)) {
      expectTypeOf(error).toEqualTypeOf<GoToAuthError>();
      expectTypeOf(error.code).toEqualTypeOf<GoToAuthErrorCode>();
      expectTypeOf(error.retryable).toEqualTypeOf<boolean>();
    }
    expectTypeOf<'INVALID_CREDENTIALS'>().toExtend<GoToAuthErrorCode>();
    expectTypeOf<'NOT_A_CODE'>().not.toExtend<GoToAuthErrorCode>();
    expectTypeOf(GoToAuthErrorCode.CLOSED).toEqualTypeOf<'CLOSED'>();
  });

  it('narrows events by type', () => {
    auth.on('token', (event) => {
      expectTypeOf(event.type).toEqualTypeOf<'token'>();
    });
    expectTypeOf<GoToAuthEvent['type']>().toExtend<string>();
    // @ts-expect-error no such event
    auth.on('no-such-event', () => {});
  });

  it('takes a custom store, and fetch helpers for adapters', () => {
    expectTypeOf<MemoryTokenStore>().toExtend<TokenStore>();
    expectTypeOf<TokenStore>().toExtend<NonNullable<GoToAuthOptions['store']>>();
    expectTypeOf(goToFetch(auth)).toEqualTypeOf<FetchFunction>();
    expectTypeOf(isRejectedResponse).returns.toEqualTypeOf<Promise<boolean>>();
    expectTypeOf(isTokenRejection).returns.toEqualTypeOf<boolean>();
  });

  it('gives the problem+json answer whole from @goto-auth/core/http', () => {
    expectTypeOf(toProblem).returns.toEqualTypeOf<ProblemResponse>();
    expectTypeOf<ProblemResponse['headers']>().toEqualTypeOf<Record<string, string>>();
    expectTypeOf<ProblemResponse['body']['code']>().toEqualTypeOf<GoToAuthErrorCode>();
    expectTypeOf(problemResponder('x').answer).returns.toEqualTypeOf<ProblemResponse>();
  });
});
