import type { GoToAuthStatus, GoToTokenInfo } from '@goto-auth/core';

/** An epoch-ms time as ISO 8601, or `null`. */
export const iso = (ms: number | undefined): string | null =>
  ms === undefined ? null : new Date(ms).toISOString();

/** Whole seconds until `at`, never negative. */
export const secondsUntil = (at: number, now: number): number =>
  Math.max(0, Math.floor((at - now) / 1000));

/**
 * What the sample shows of a token: facts only. Built field by field from the token's
 * secret-free facts, so a new token field can never slip into an answer unnoticed.
 */
export function tokenView(token: GoToTokenInfo, status: GoToAuthStatus, now: number) {
  return {
    organizerKey: token.organizerKey ?? null,
    accountKey: token.accountKey ?? null,
    accountType: token.accountType ?? null,
    issuedAt: iso(token.issuedAt),
    expiresAt: iso(token.expiresAt),
    secondsLeft: secondsUntil(token.expiresAt, now),
    refreshAt: iso(status.refreshAt),
    lastRefreshAt: iso(status.lastRefreshAt),
    refreshTokenExpiresAt: iso(token.refreshTokenExpiresAt),
    state: status.state,
    now: iso(now),
  };
}
