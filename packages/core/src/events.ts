import type { GoToAuthErrorCode } from './errors.js';

/** How a token reached the manager. */
export type TokenSource = 'password' | 'refresh_token' | 'store';

/** Why a refresh ran. */
export type RefreshReason = 'initial' | 'scheduled' | 'expired' | 'rejected';

/**
 * What the manager reports. No event ever carries a password, secret or token.
 */
export type GoToAuthEvent =
  | {
      /** A new token is in use. */
      type: 'token';
      source: TokenSource;
      reason: RefreshReason;
      issuedAt: number;
      expiresAt: number;
      /** When the manager will refresh it (expiry minus the margin). */
      refreshAt: number;
    }
  | {
      /** An attempt to get a token failed. */
      type: 'refresh-failed';
      code: GoToAuthErrorCode;
      message: string;
      attempt: number;
      /** Milliseconds until the next attempt, or `undefined` when giving up. */
      retryIn: number | undefined;
    }
  | {
      /** `invalidate()` was called. `stale` when it named a token no longer in use (ignored). */
      type: 'invalidated';
      stale: boolean;
      /** How long the rejected token had been in use, in milliseconds. */
      age: number | undefined;
    }
  | {
      /** Something needs a person's attention. */
      type: 'warning';
      code: 'CREDENTIALS_CONTENDED' | 'STORE_UNAVAILABLE';
      message: string;
    };

/** The `type` values of {@link GoToAuthEvent}. */
export type GoToAuthEventType = GoToAuthEvent['type'];

/** A listener for one event type. */
export type GoToAuthListener<T extends GoToAuthEventType = GoToAuthEventType> = (
  event: Extract<GoToAuthEvent, { type: T }>,
) => void;

/**
 * Where log lines go. Each method is optional; lines never contain secrets.
 * Pass `console` to log everything, or `false` to `createGoToAuth` to log nothing.
 */
export interface GoToAuthLogger {
  debug?(message: string): void;
  info?(message: string): void;
  warn?(message: string): void;
  error?(message: string): void;
}
