/**
 * A GoTo user the emulator accepts on the password grants.
 */
export interface EmulatorUser {
  /** Login id (`user_id` on the legacy endpoint, `username` on `/oauth/v2/token`); exact match. */
  userId: string;
  /** The user's password. */
  password: string;
  /**
   * Answered as `organizer_key` (and as `userKey`/`organizerKey` on `/me`).
   * @default a 19-digit string derived from `userId`
   */
  organizerKey?: string;
  /**
   * Answered as `account_key`.
   * @default a 19-digit string derived from `userId`
   */
  accountKey?: string;
  /**
   * Answered as `account_type`.
   * @default ''
   */
  accountType?: 'personal' | 'corporate' | '';
  /**
   * Answered as `firstName` (GoTo fills it for GoToMeeting users only).
   * @default ''
   */
  firstName?: string;
  /**
   * Answered as `lastName`.
   * @default ''
   */
  lastName?: string;
  /**
   * Answered as `email` in token responses (blank, like GoTo outside GoToMeeting).
   * `/me` falls back to `userId` when this is blank.
   * @default ''
   */
  email?: string;
}

/**
 * A registered client application (GoTo developer center "Consumer Key").
 */
export interface EmulatorClient {
  /** The Consumer Key (`client_id`). */
  clientId: string;
  /**
   * The client secret, required by `/oauth/v2/token` (HTTP Basic). The legacy endpoint never
   * asks for it. A client without a secret cannot use `/oauth/v2/token`.
   */
  clientSecret?: string;
  /**
   * GoToAssist Corporate rule: issuing a new access token to this client revokes every other
   * access token of the client.
   * @default true
   */
  revokeOnNewToken?: boolean;
}

/**
 * Options of {@link startEmulator}.
 */
export interface EmulatorOptions {
  /**
   * TCP port; `0` picks a free one (read it back from {@link GoToEmulator.port}).
   * @default 0
   */
  port?: number;
  /**
   * Interface to listen on.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * Accepted users. Replaces the default user when given.
   * @default [the user of EMULATOR_DEFAULTS]
   */
  users?: EmulatorUser[];
  /**
   * Registered clients. Replaces the default client when given.
   * @default [the client of EMULATOR_DEFAULTS]
   */
  clients?: EmulatorClient[];
  /**
   * Access token lifetime, whole seconds (answered as the string `expires_in`).
   * @default 3600
   */
  accessTokenTtlSeconds?: number;
  /**
   * Refresh token lifetime from issue, whole seconds.
   * @default 2592000 (30 days)
   */
  refreshTokenTtlSeconds?: number;
  /**
   * When `false`, a refresh token is single use: the refresh grant consumes it (rotation).
   * When `true`, it stays valid until it expires. A new refresh token is issued either way.
   * @default false
   */
  refreshTokenReuse?: boolean;
  /**
   * Clock (epoch ms) for every expiry decision. When given, {@link EmulatorClock.advance} and
   * {@link EmulatorClock.set} throw: move your own clock instead.
   * @default the wall clock, shifted by clock.advance() / clock.set()
   */
  now?: () => number;
  /**
   * Receives one line per request (never a password, secret or token).
   * @default none (silent)
   */
  logger?: (line: string) => void;
  /**
   * How many entries {@link GoToEmulator.requests} keeps (oldest dropped first), so a long
   * benchmark does not grow memory without bound.
   * @default 10000
   */
  requestLogLimit?: number;
}

/**
 * The emulator's clock. Every expiry (access and refresh tokens) is decided with `now()`.
 */
export interface EmulatorClock {
  /** Current emulator time, epoch ms. */
  now(): number;
  /** Moves time forward (or back, if negative) by `ms`, instantly. Throws with `options.now`. */
  advance(ms: number): void;
  /** Sets the current time to `ms` (epoch). Throws with `options.now`. */
  set(ms: number): void;
}

/**
 * Live counters (the same object is updated in place; {@link GoToEmulator.reset} zeroes it).
 * Endpoint counters ignore requests answered by a fault (see `faults`).
 */
export interface EmulatorCounters {
  /** Successful password grants, both endpoints. */
  passwordGrants: number;
  /** Successful password grants on `/oauth/access_token`. */
  legacyPasswordGrants: number;
  /** Successful password grants on `/oauth/v2/token`. */
  v2PasswordGrants: number;
  /** Successful refresh grants. */
  refreshGrants: number;
  /** Tokens minted with {@link GoToEmulator.mintToken} ("someone else" using the credentials). */
  externalGrants: number;
  /** Error answers (4xx) of the token endpoints. */
  tokenErrors: number;
  /** Requests to `/admin/rest/v1/me`. */
  meCalls: number;
  /** `/me` requests rejected with 403 `InvalidToken`. */
  meRejected: number;
  /** Requests a fault applied to (latency included). */
  faults: number;
  /** Every request received. */
  requests: number;
}

/**
 * One entry of {@link GoToEmulator.requests}. Never holds a password, client secret or token.
 */
export interface EmulatorRequestLogEntry {
  /** Emulator time when the answer was sent (or the socket dropped), epoch ms. */
  at: number;
  /** HTTP method. */
  method: string;
  /** Path without the query string (which could carry credentials). */
  path: string;
  /** HTTP status sent; `0` when the socket was dropped. */
  status: number;
  /** `grant_type` of a token request, when present. */
  grantType?: string;
  /** Client id from the body or the Basic header, when present. */
  clientId?: string;
  /** User id of a password grant, or the owner of the refresh or bearer token. */
  userId?: string;
  /** OAuth `error` code (or `InvalidToken` on `/me`) of an error answer. */
  error?: string;
  /** The fault that shaped this answer, if any. */
  fault?: EmulatorFault['type'];
}

/**
 * A failure to inject. Apart from `latency`, a fault answers instead of the endpoint: it never
 * issues, consumes or revokes a token.
 */
export type EmulatorFault =
  /** Waits `ms`, then answers normally. */
  | {
      /** The fault's kind. */
      type: 'latency';
      /** How long to wait before answering, in ms. */
      ms: number;
    }
  /** 500 answers an OAuth `server_error` JSON body; 502 and 503 a plain-text proxy page. */
  | {
      /** The fault's kind. */
      type: 'status';
      /** The status to answer with. */
      status: 500 | 502 | 503;
    }
  /** 429 with `Retry-After: retryAfterSeconds`. */
  | {
      /** The fault's kind. */
      type: 'rate-limit';
      /** The `Retry-After` value, in seconds. */
      retryAfterSeconds: number;
    }
  /** 200, `application/json`, a truncated body that is not JSON. */
  | {
      /** The fault's kind. */
      type: 'malformed-json';
    }
  /** 200 `text/html` error page, like a captive portal or a misrouted proxy. */
  | {
      /** The fault's kind. */
      type: 'html';
    }
  /** Destroys the socket without answering. */
  | {
      /** The fault's kind. */
      type: 'drop';
    }
  /** 200 JSON of about 5 MiB: the documented shape plus padding. */
  | {
      /** The fault's kind. */
      type: 'oversized';
    }
  /** 200 JSON of the documented shape without `access_token`. */
  | {
      /** The fault's kind. */
      type: 'missing-access-token';
    }
  /** 200 JSON of the documented shape with `"expires_in":"soon"`. */
  | {
      /** The fault's kind. */
      type: 'bad-expires-in';
    };

/**
 * Which requests a fault applies to. `times` and `rate` are exclusive.
 */
export interface EmulatorFaultOptions {
  /**
   * Applies to this many matching requests, then disappears.
   * @default 1
   */
  times?: number;
  /**
   * Instead of `times`: applies to each matching request with this probability (0..1), until
   * {@link GoToEmulator.clearFaults} or {@link GoToEmulator.reset}.
   */
  rate?: number;
  /**
   * Only requests whose path starts with this.
   * @default '/oauth/' (the token endpoints)
   */
  path?: string;
}

/**
 * A running emulator, from {@link startEmulator}.
 */
export interface GoToEmulator {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The bound port. */
  readonly port: number;
  /** The clock every expiry is decided with. */
  readonly clock: EmulatorClock;
  /** Live counters. */
  readonly counters: EmulatorCounters;
  /** Request log, oldest first (capped by `requestLogLimit`). */
  readonly requests: readonly EmulatorRequestLogEntry[];
  /** Zeroes the counters, clears the request log and pending faults. Tokens are kept. */
  reset(): void;
  /**
   * Injects a fault into the next matching request (or several: see `options`). Faults apply
   * before normal handling, first registered first; at most one per request.
   */
  fault(fault: EmulatorFault, options?: EmulatorFaultOptions): void;
  /** Removes every pending fault. */
  clearFaults(): void;
  /**
   * Revokes every access token (of one client when `clientId` is given), as if another client
   * had minted one. Refresh tokens stay valid.
   */
  revokeAll(clientId?: string): void;
  /** Makes every current access token expired. Refresh tokens are untouched. */
  expireAccessTokens(): void;
  /**
   * Issues a token as an outside client with the same credentials would (a script, another
   * deployment): the revocation rule applies. Counted in `externalGrants`.
   * Defaults to the first client and the first user.
   */
  mintToken(opts?: { clientId?: string; userId?: string }): {
    /** The new access token (every other token of the client is now revoked). */
    accessToken: string;
    /** Its refresh token. */
    refreshToken: string;
  };
  /** Switches the revocation rule of one client at run time. Throws on an unknown client. */
  setClientRevocation(clientId: string, revokeOnNewToken: boolean): void;
  /**
   * Stops the server and destroys every connection (keep-alive and pending latency faults
   * included). Idempotent.
   */
  close(): Promise<void>;
}
