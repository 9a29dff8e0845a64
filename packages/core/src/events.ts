import type { GoToAuthErrorCode } from './errors.js';

/** The kind of token request sent to GoTo. Exported because `request` events carry it. */
export type GrantType =
  | 'password'
  | 'personal_access_token'
  | 'refresh_token'
  | 'authorization_code';

/** How a token reached the manager. Exported because `token` events carry it. */
export type TokenSource =
  | 'password'
  | 'personal_access_token'
  | 'refresh_token'
  | 'authorization_code'
  | 'store';

/** Why a refresh ran. Exported because `token` events carry it. */
export type RefreshReason = 'initial' | 'scheduled' | 'expired' | 'rejected';

/**
 * What the manager reports. No event ever carries a password, secret or token.
 */
export type GoToAuthEvent =
  | {
      /** A new token is in use. */
      type: 'token';
      /** Where the token came from. */
      source: TokenSource;
      /** Why the refresh ran. */
      reason: RefreshReason;
      /** When the token's grant request was sent, in epoch ms. */
      issuedAt: number;
      /** When the token expires, in epoch ms. */
      expiresAt: number;
      /** When the manager will refresh it (expiry minus the margin). */
      refreshAt: number;
    }
  | {
      /** An attempt to get a token failed. */
      type: 'refresh-failed';
      /** The error's code. */
      code: GoToAuthErrorCode;
      /** The error's message (never a secret). */
      message: string;
      /** Which attempt of this refresh failed, from 1. */
      attempt: number;
      /** Milliseconds until the next attempt, or `undefined` when giving up. */
      retryIn: number | undefined;
    }
  | {
      /** `invalidate()` was called. `stale` when it named a token no longer in use (ignored). */
      type: 'invalidated';
      /** Whether the named token was not the current one (then nothing was dropped). */
      stale: boolean;
      /** How long the rejected token had been in use, in milliseconds. */
      age: number | undefined;
    }
  | {
      /** One token request to GoTo ended (sent only for requests that left the process). */
      type: 'request';
      /** Which grant was requested. */
      grant: GrantType;
      /** Whether GoTo answered with a usable token. */
      outcome: 'success' | 'failure';
      /** The error's code, on failure. */
      code: GoToAuthErrorCode | undefined;
      /** The HTTP status GoTo answered with, when it answered. */
      status: number | undefined;
      /** When the request was sent, in epoch ms. */
      startedAt: number;
      /** How long the request took, in ms. */
      durationMs: number;
    }
  | {
      /** A wait for the store's refresh lock ended. */
      type: 'lock';
      /**
       * `'acquired'`: this process holds the lock; `'delivered'`: another process's fresh token
       * arrived while waiting; `'timeout'`: the holder took too long; `'unavailable'`: the store
       * failed.
       */
      outcome: 'acquired' | 'delivered' | 'timeout' | 'unavailable';
      /** How long the wait took, in ms. */
      waitMs: number;
    }
  | {
      /** Something needs a person's attention. */
      type: 'warning';
      /**
       * `CREDENTIALS_CONTENDED`: tokens keep being rejected soon after minting (another client
       * uses the credentials); `STORE_UNAVAILABLE`: the store failed and was worked around;
       * `REFRESH_UNAVAILABLE`: a refresh failed for a reason a retry will not fix (the endpoint
       * is gone, the client is refused…), so the refresh token was dropped for one password
       * grant; `RESPONSE_FIELD_DROPPED`: GoTo sent a descriptive field of an unexpected type,
       * which was dropped while the token was kept.
       */
      code:
        | 'CREDENTIALS_CONTENDED'
        | 'STORE_UNAVAILABLE'
        | 'REFRESH_UNAVAILABLE'
        | 'RESPONSE_FIELD_DROPPED';
      /** What happened and what to do, for a person (never a secret). */
      message: string;
      /** The HTTP status involved, when there was one. */
      status?: number;
    };

/** The `type` values of {@link GoToAuthEvent}: what `auth.on(type, …)` takes. */
export type GoToAuthEventType = GoToAuthEvent['type'];

/** A listener for one event type, as `auth.on()` takes it; exported so a listener can be typed apart. */
export type GoToAuthListener<T extends GoToAuthEventType = GoToAuthEventType> = (
  event: Extract<GoToAuthEvent, { type: T }>,
) => void;

/**
 * Where log lines go. Each method is optional; lines never contain secrets.
 * Pass `console` to log everything, or `false` to `createGoToAuth` to log nothing.
 */
export interface GoToAuthLogger {
  /** Detail for debugging. */
  debug?(message: string): void;
  /** Routine events. */
  info?(message: string): void;
  /** Something degraded that recovers by itself, or another client contending for tokens. */
  warn?(message: string): void;
  /** Something a person must fix, such as rejected credentials. */
  error?(message: string): void;
}
