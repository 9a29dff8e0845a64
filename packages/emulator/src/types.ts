/**
 * A GoTo user: accepted on the password grants, offered on the consent page of
 * `/oauth/authorize`, and the owner of its personal access tokens.
 */
export interface EmulatorUser {
  /**
   * Login id (`user_id` on the legacy endpoint, `username` on `/oauth/v2/token` and
   * `/oauth/token`); exact match.
   */
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
   * `/me` falls back to `userId` when this is blank, and so does `principal` (the
   * `/oauth/token` answers' "who the token represents").
   * @default ''
   */
  email?: string;
  /**
   * Personal access tokens of this user, accepted by `grant_type=personal_access_token`
   * (`pat=…`) on `/oauth/token`. Exact match; each value may belong to one user only.
   * @default [] (none)
   */
  personalAccessTokens?: string[];
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
   * GoToAssist Corporate rule: issuing a new access token to this client revokes other access
   * tokens of the client. For Direct Login (password grants, refresh on `/oauth/v2/token`,
   * {@link GoToEmulator.mintToken}) that is every access token of the client; for a token born
   * of a sign-in or a personal access token (`authorization_code`, `personal_access_token`, and
   * refreshes of their refresh tokens) only the same user's tokens of the client, so one user
   * signing in never logs another out.
   * @default true
   */
  revokeOnNewToken?: boolean;
  /**
   * The redirect URIs registered for this client, matched exactly (string equality) against
   * `redirect_uri` on `/oauth/authorize`. When `redirect_uri` is left out there, the first one
   * is used.
   * @default undefined: any `http:` or `https:` URI on a loopback host (`localhost`,
   * `127.0.0.0/8`, `[::1]`), any port and path, is accepted, and `redirect_uri` is required.
   * @example ['http://127.0.0.1:3000/auth/callback']
   */
  redirectUris?: string[];
  /**
   * The scopes enabled on this client. A `scope` asked for on `/oauth/authorize` must be a
   * subset (else `error=invalid_scope`); without one a token gets them all. Answered,
   * space-separated, as `scope` by `/oauth/token`.
   * @default {@link EMULATOR_DEFAULT_SCOPES}
   */
  scopes?: string[];
}

/**
 * GoTo's request limit, switched on by {@link EmulatorOptions.rateLimit}.
 */
export interface EmulatorRateLimit {
  /**
   * Requests allowed per API (the first path segment: `oauth`, `admin`, `identity`) within any
   * one second of the emulator clock; the next one is answered 429 with `Retry-After`.
   * @default 10 (GoTo's documented limit)
   */
  requestsPerSecond?: number;
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
   * `/oauth/v2/token` only. When `false`, a refresh token is single use: the refresh grant
   * consumes it (rotation). When `true`, it stays valid until it expires. A new refresh token is
   * issued either way.
   * @default false
   */
  refreshTokenReuse?: boolean;
  /**
   * `/oauth/token` only. When `false` (GoTo's documented behaviour), a refresh answer carries no
   * `refresh_token` and the refresh token used stays valid until it expires. When `true`, the
   * answer carries a new refresh token (and `token_type`) and the one used is consumed.
   * @default false
   */
  rotateRefreshTokens?: boolean;
  /**
   * Lifetime of an authorization code, whole seconds. Each code is single use.
   * @default 60
   */
  authorizationCodeTtlSeconds?: number;
  /**
   * GoTo's limit of 10 requests a second per API: `true` for GoTo's numbers, an object to
   * change them, `false` for none. Switch it at run time with {@link GoToEmulator.setRateLimit}.
   * @default false
   */
  rateLimit?: boolean | EmulatorRateLimit;
  /**
   * Also listen on a second port for the authentication host
   * (`https://authentication.logmeininc.com`): {@link GoToEmulator.authUrl} then serves only
   * `/oauth/token` and `/oauth/authorize`, and {@link GoToEmulator.url} only the
   * `api.getgo.com` paths, so a test can tell which host a client used. Both share one state.
   * @default false: one server serves every path, and `authUrl === url`
   */
  authenticationHost?: boolean;
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
 * Endpoint counters ignore requests answered by a fault (see `faults`) or by the rate limit.
 */
export interface EmulatorCounters {
  /** Successful password grants, all three token endpoints. */
  passwordGrants: number;
  /** Successful password grants on `/oauth/access_token`. */
  legacyPasswordGrants: number;
  /** Successful v2 password grants (`username`, Basic), `/oauth/v2/token` and `/oauth/token`. */
  v2PasswordGrants: number;
  /** Successful v2 password grants on `/oauth/token` alone. */
  oauthTokenPasswordGrants: number;
  /** Successful refresh grants, `/oauth/v2/token` and `/oauth/token`. */
  refreshGrants: number;
  /** Successful `authorization_code` grants (codes exchanged). */
  authorizationCodeGrants: number;
  /** Successful `personal_access_token` grants. */
  personalAccessTokenGrants: number;
  /** Authorization codes issued (consents approved on `/oauth/authorize`). */
  consentsApproved: number;
  /** Consents denied on `/oauth/authorize` (`error=access_denied`). */
  consentsDenied: number;
  /** Tokens minted with {@link GoToEmulator.mintToken} ("someone else" using the credentials). */
  externalGrants: number;
  /** Error answers (4xx) of the token endpoints. */
  tokenErrors: number;
  /** Requests to `/admin/rest/v1/me`. */
  meCalls: number;
  /** `/me` requests rejected with 403 `InvalidToken`. */
  meRejected: number;
  /** Requests to `/identity/v1/Users/me`. */
  identityCalls: number;
  /** `/identity/v1/Users/me` requests rejected with 401. */
  identityRejected: number;
  /** Requests answered 429 by the rate limit ({@link EmulatorOptions.rateLimit}). */
  rateLimited: number;
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
  /**
   * User id of a password grant, or the owner of the refresh token, bearer token, code,
   * personal access token or consent.
   */
  userId?: string;
  /**
   * OAuth `error` code (or `InvalidToken` on `/me`, `rate_limited` for a 429 of the rate limit)
   * of an error answer, or the `error` a consent redirect carried.
   */
  error?: string;
  /** The fault that shaped this answer, if any. */
  fault?: EmulatorFault['type'];
  /** Which server answered; only with {@link EmulatorOptions.authenticationHost}. */
  host?: 'api' | 'authentication';
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
   * @default the token endpoints: paths starting with `/oauth/` except `/oauth/authorize`
   */
  path?: string;
}

/**
 * A running emulator, from {@link startEmulator}.
 */
export interface GoToEmulator {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /**
   * Base URL of the authentication host (`/oauth/token`, `/oauth/authorize`): the second
   * server with {@link EmulatorOptions.authenticationHost}, else the same as `url`.
   */
  readonly authUrl: string;
  /** The bound port. */
  readonly port: number;
  /** The clock every expiry is decided with. */
  readonly clock: EmulatorClock;
  /** Live counters. */
  readonly counters: EmulatorCounters;
  /** Request log, oldest first (capped by `requestLogLimit`). */
  readonly requests: readonly EmulatorRequestLogEntry[];
  /**
   * Zeroes the counters, clears the request log, pending faults and the rate limit's window.
   * Tokens and codes are kept.
   */
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
   * Switches GoTo's rate limit at run time (see {@link EmulatorOptions.rateLimit}); the
   * requests already counted are forgotten.
   */
  setRateLimit(rateLimit: boolean | EmulatorRateLimit): void;
  /**
   * Stops the server and destroys every connection (keep-alive and pending latency faults
   * included). Idempotent.
   */
  close(): Promise<void>;
}
