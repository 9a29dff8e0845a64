import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  AuthorizationBook,
  type AuthorizationRequest,
  consentPage,
  errorPage,
  grantedScope,
  redirectTo,
  resolveRedirectUri,
} from './authorize.js';
import { createClock } from './clock.js';
import { EMULATOR_DEFAULT_USER, EMULATOR_DEFAULTS } from './defaults.js';
import { answerFault, FaultPlan } from './faults.js';
import {
  basicCredentials,
  bearerToken,
  DRAIN_LIMIT,
  isFormContentType,
  pathOf,
  readBody,
} from './http.js';
import { RateLimiter } from './rate-limit.js';
import {
  type ClientRecord,
  type Grant,
  principalOf,
  safeEqual,
  TokenBook,
  type TokenRecord,
  toClientRecord,
  toUserRecord,
  type UserRecord,
} from './tokens.js';
import type {
  EmulatorClock,
  EmulatorCounters,
  EmulatorFault,
  EmulatorFaultOptions,
  EmulatorOptions,
  EmulatorRateLimit,
  EmulatorRequestLogEntry,
  GoToEmulator,
} from './types.js';

const LEGACY_PATH = '/oauth/access_token';
const V2_PATH = '/oauth/v2/token';
/** GoTo's current token endpoint (on authentication.logmeininc.com): Basic client auth. */
const TOKEN_PATH = '/oauth/token';
const AUTHORIZE_PATH = '/oauth/authorize';
const ME_PATH = '/admin/rest/v1/me';
const IDENTITY_PATH = '/identity/v1/Users/me';
/** The parameters of `GET /oauth/authorize`, each allowed once. */
const AUTHORIZE_PARAMS = [
  'client_id',
  'redirect_uri',
  'response_type',
  'state',
  'scope',
  'login_hint',
  'auto',
];
/** Served by the authentication host (`authentication.logmeininc.com`); the rest by the API host. */
const AUTHENTICATION_PATHS = new Set([TOKEN_PATH, AUTHORIZE_PATH]);
const DAY_SECONDS = 24 * 60 * 60;
/** RFC 6749 3.1: request parameters must not be included more than once. */
const SINGLE_PARAMS = [
  'grant_type',
  'user_id',
  'username',
  'password',
  'client_id',
  'client_secret',
  'refresh_token',
  'code',
  'redirect_uri',
  'pat',
];
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };
const WWW_AUTHENTICATE = { 'WWW-Authenticate': 'Basic realm="goto-emulator", charset="UTF-8"' };
/** The consent and error pages: no script, not framed, never cached. */
const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
};

/** Which paths a server answers: every one, or one host's (`authenticationHost`). */
type Site = 'all' | 'api' | 'authentication';

type TokenEndpoint = 'legacy' | 'v2' | 'oauth';

type Exchange = Omit<EmulatorRequestLogEntry, 'at' | 'status'> & { started: number };

interface PendingDelay {
  timer: NodeJS.Timeout;
  resolve: (completed: boolean) => void;
}

function zeroCounters(): EmulatorCounters {
  return {
    passwordGrants: 0,
    legacyPasswordGrants: 0,
    v2PasswordGrants: 0,
    oauthTokenPasswordGrants: 0,
    refreshGrants: 0,
    authorizationCodeGrants: 0,
    personalAccessTokenGrants: 0,
    consentsApproved: 0,
    consentsDenied: 0,
    externalGrants: 0,
    tokenErrors: 0,
    meCalls: 0,
    meRejected: 0,
    identityCalls: 0,
    identityRejected: 0,
    rateLimited: 0,
    faults: 0,
    requests: 0,
  };
}

function wholeSeconds(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`startEmulator: ${name} must be an integer >= 1`);
  }
  return value;
}

class Emulator implements GoToEmulator {
  readonly clock: EmulatorClock;
  readonly counters = zeroCounters();
  readonly #log: EmulatorRequestLogEntry[] = [];
  readonly #logLimit: number;
  readonly #logger: ((line: string) => void) | undefined;
  readonly #users: Map<string, UserRecord>;
  readonly #clients: Map<string, ClientRecord>;
  /** Personal access token → user id. */
  readonly #pats = new Map<string, string>();
  readonly #tokens: TokenBook;
  readonly #authorizations: AuthorizationBook;
  readonly #refreshReuse: boolean;
  readonly #rotateRefresh: boolean;
  readonly #accessTtlSeconds: number;
  readonly #faults = new FaultPlan();
  readonly #rateLimiter: RateLimiter;
  readonly #delays = new Set<PendingDelay>();
  readonly #server: Server;
  readonly #authServer: Server | undefined;
  #closing: Promise<void> | undefined;
  url = '';
  authUrl = '';
  port = 0;

  constructor(options: EmulatorOptions) {
    this.clock = createClock(options.now);
    this.#logger = options.logger;
    this.#logLimit = options.requestLogLimit ?? 10_000;
    if (!Number.isInteger(this.#logLimit) || this.#logLimit < 0) {
      throw new RangeError('startEmulator: requestLogLimit must be an integer >= 0');
    }
    this.#accessTtlSeconds = wholeSeconds(
      options.accessTokenTtlSeconds ?? 3600,
      'accessTokenTtlSeconds',
    );
    const refreshTtl = wholeSeconds(
      options.refreshTokenTtlSeconds ?? 30 * DAY_SECONDS,
      'refreshTokenTtlSeconds',
    );
    const codeTtl = wholeSeconds(
      options.authorizationCodeTtlSeconds ?? 60,
      'authorizationCodeTtlSeconds',
    );
    this.#refreshReuse = options.refreshTokenReuse ?? false;
    this.#rotateRefresh = options.rotateRefreshTokens ?? false;
    this.#users = new Map();
    for (const user of options.users ?? [EMULATOR_DEFAULT_USER]) {
      if (this.#users.has(user.userId)) {
        throw new Error(`startEmulator: duplicate user ${JSON.stringify(user.userId)}`);
      }
      const record = toUserRecord(user);
      this.#users.set(user.userId, record);
      for (const pat of record.personalAccessTokens) {
        if (pat === '' || this.#pats.has(pat)) {
          throw new Error('startEmulator: personal access tokens must be non-empty and unique');
        }
        this.#pats.set(pat, user.userId);
      }
    }
    this.#clients = new Map();
    for (const client of options.clients ?? [EMULATOR_DEFAULTS]) {
      if (this.#clients.has(client.clientId)) {
        throw new Error(`startEmulator: duplicate client ${JSON.stringify(client.clientId)}`);
      }
      this.#clients.set(client.clientId, toClientRecord(client));
    }
    this.#tokens = new TokenBook(
      () => this.clock.now(),
      this.#accessTtlSeconds * 1000,
      refreshTtl * 1000,
    );
    this.#authorizations = new AuthorizationBook(() => this.clock.now(), codeTtl * 1000);
    this.#rateLimiter = new RateLimiter(() => this.clock.now());
    this.#rateLimiter.configure(options.rateLimit);
    const split = options.authenticationHost ?? false;
    this.#server = this.#createServer(split ? 'api' : 'all');
    this.#authServer = split ? this.#createServer('authentication') : undefined;
  }

  #createServer(site: Site): Server {
    return createServer((req, res) => {
      this.#handle(req, res, site).catch(() => {
        // A bug here must not take the test run down: answer 500 if still possible.
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { 'Content-Type': 'application/json' });
          res.end('{"error":"server_error","error_description":"Emulator failure"}');
        }
      });
    });
  }

  get requests(): readonly EmulatorRequestLogEntry[] {
    return this.#log;
  }

  async listen(port: number, host: string): Promise<void> {
    this.port = await listenOn(this.#server, port, host);
    this.url = `http://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
    this.authUrl = this.url;
    if (this.#authServer) {
      try {
        const authPort = await listenOn(this.#authServer, 0, host);
        this.authUrl = `http://${host.includes(':') ? `[${host}]` : host}:${authPort}`;
      } catch (error) {
        await this.close();
        throw error;
      }
    }
  }

  reset(): void {
    Object.assign(this.counters, zeroCounters());
    this.#log.length = 0;
    this.#faults.clear();
    this.#rateLimiter.clear();
  }

  setRateLimit(rateLimit: boolean | EmulatorRateLimit): void {
    this.#rateLimiter.configure(rateLimit);
  }

  fault(fault: EmulatorFault, options?: EmulatorFaultOptions): void {
    this.#faults.add(fault, options);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  revokeAll(clientId?: string): void {
    this.#tokens.revokeAccess(clientId);
  }

  expireAccessTokens(): void {
    this.#tokens.expireAccess();
  }

  mintToken(opts: { clientId?: string; userId?: string } = {}): Grant {
    const clientId = opts.clientId ?? this.#clients.keys().next().value;
    const userId = opts.userId ?? this.#users.keys().next().value;
    const client = clientId === undefined ? undefined : this.#clients.get(clientId);
    if (!client) throw new Error(`GoToEmulator.mintToken: unknown client ${String(clientId)}`);
    if (userId === undefined || !this.#users.has(userId)) {
      throw new Error(`GoToEmulator.mintToken: unknown user ${String(userId)}`);
    }
    this.counters.externalGrants++;
    return this.#tokens.issue(client, userId, { scope: client.scopes.join(' ') });
  }

  setClientRevocation(clientId: string, revokeOnNewToken: boolean): void {
    const client = this.#clients.get(clientId);
    if (!client) throw new Error(`GoToEmulator.setClientRevocation: unknown client ${clientId}`);
    client.revokeOnNewToken = revokeOnNewToken;
  }

  close(): Promise<void> {
    this.#closing ??= new Promise((resolve) => {
      for (const delay of this.#delays) {
        clearTimeout(delay.timer);
        delay.resolve(false);
      }
      this.#delays.clear();
      const servers = [this.#server, this.#authServer].filter((server) => server !== undefined);
      let open = servers.length;
      for (const server of servers) {
        server.close(() => {
          if (--open === 0) resolve();
        });
        server.closeAllConnections();
      }
    });
    return this.#closing;
  }

  /** Returns the status sent (0 when none was). */
  async #handle(req: IncomingMessage, res: ServerResponse, site: Site): Promise<number> {
    this.counters.requests++;
    const ex: Exchange = {
      method: req.method ?? 'GET',
      path: pathOf(req.url),
      started: performance.now(),
    };
    if (site !== 'all') ex.host = site;
    const retryAfter = this.#rateLimiter.admit(ex.path);
    if (retryAfter !== undefined) {
      this.counters.rateLimited++;
      ex.error = 'rate_limited';
      const body = { error: 'rate_limited', error_description: 'Too many requests' };
      return this.#send(res, ex, 429, body, { 'Retry-After': String(retryAfter) });
    }
    const fault = this.#faults.take(ex.path);
    if (fault) {
      this.counters.faults++;
      ex.fault = fault.type;
      if (fault.type !== 'latency') {
        const status = answerFault(res, fault);
        this.#finish(ex, status);
        return status;
      }
      const completed = await this.#delay(fault.ms);
      if (!completed || res.destroyed) return 0;
    }
    const elsewhere =
      (site === 'api' && AUTHENTICATION_PATHS.has(ex.path)) ||
      (site === 'authentication' && !AUTHENTICATION_PATHS.has(ex.path));
    switch (elsewhere ? '' : ex.path) {
      case LEGACY_PATH:
        return this.#token(req, res, ex, 'legacy');
      case V2_PATH:
        return this.#token(req, res, ex, 'v2');
      case TOKEN_PATH:
        return this.#token(req, res, ex, 'oauth');
      case AUTHORIZE_PATH:
        return this.#authorize(req, res, ex);
      case ME_PATH:
        return this.#me(req, res, ex);
      case IDENTITY_PATH:
        return this.#identity(req, res, ex);
      default: {
        const description = `No endpoint ${ex.method} ${ex.path}`;
        return this.#send(res, ex, 404, { error: 'not_found', error_description: description });
      }
    }
  }

  /** Unref'd and cancelled by close(), so a pending latency fault never holds the server open. */
  #delay(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const delay: PendingDelay = {
        timer: setTimeout(() => {
          this.#delays.delete(delay);
          resolve(true);
        }, ms),
        resolve,
      };
      delay.timer.unref();
      this.#delays.add(delay);
    });
  }

  async #token(
    req: IncomingMessage,
    res: ServerResponse,
    ex: Exchange,
    endpoint: TokenEndpoint,
  ): Promise<number> {
    if (ex.method !== 'POST') {
      const description = `${ex.method} is not allowed here: use POST`;
      return this.#tokenError(res, ex, 405, 'invalid_request', description, { Allow: 'POST' });
    }
    if (!isFormContentType(req.headers['content-type'])) {
      const description = 'Content-Type must be application/x-www-form-urlencoded';
      return this.#tokenError(res, ex, 415, 'invalid_request', description);
    }
    if (Number(req.headers['content-length'] ?? 0) > DRAIN_LIMIT) {
      return this.#tokenError(res, ex, 413, 'invalid_request', 'Request body too large', {
        Connection: 'close',
      });
    }
    const body = await readBody(req);
    if (body === 'aborted') {
      this.#finish(ex, 0);
      return 0;
    }
    if (body === 'too-large') {
      return this.#tokenError(res, ex, 413, 'invalid_request', 'Request body larger than 64 KiB');
    }
    const params = new URLSearchParams(body.text);
    ex.grantType = params.get('grant_type') || undefined;
    const repeated = SINGLE_PARAMS.find((name) => params.getAll(name).length > 1);
    if (repeated) {
      return this.#tokenError(res, ex, 400, 'invalid_request', `Repeated parameter: ${repeated}`);
    }
    if (endpoint === 'legacy') return this.#legacyToken(res, ex, params);
    const client = this.#authenticate(req, ex);
    if (typeof client === 'string') {
      return this.#tokenError(res, ex, 401, 'invalid_client', client, WWW_AUTHENTICATE);
    }
    if (endpoint === 'v2') return this.#v2Token(res, ex, client, params);
    return this.#oauthToken(res, ex, client, params);
  }

  #legacyToken(res: ServerResponse, ex: Exchange, params: URLSearchParams): number {
    if (!ex.grantType) return this.#missing(res, ex, ['grant_type']);
    if (ex.grantType !== 'password') return this.#unsupportedGrant(res, ex);
    const missing = ['user_id', 'password', 'client_id'].filter((name) => !params.get(name));
    if (missing.length > 0) return this.#missing(res, ex, missing);
    const clientId = params.get('client_id') ?? '';
    ex.clientId = clientId;
    const client = this.#clients.get(clientId);
    if (!client) {
      const description = 'Unknown client_id';
      return this.#tokenError(res, ex, 401, 'invalid_client', description, WWW_AUTHENTICATE);
    }
    const user = this.#passwordGrant(ex, params.get('user_id'), params.get('password'));
    if (!user) return this.#invalidCredentials(res, ex);
    this.counters.passwordGrants++;
    this.counters.legacyPasswordGrants++;
    return this.#tokenSuccess(res, ex, user, this.#issueDirect(client, user));
  }

  #v2Token(
    res: ServerResponse,
    ex: Exchange,
    client: ClientRecord,
    params: URLSearchParams,
  ): number {
    if (!ex.grantType) return this.#missing(res, ex, ['grant_type']);
    if (ex.grantType === 'password') {
      const user = this.#usernamePassword(res, ex, params);
      if (typeof user === 'number') return user;
      this.counters.v2PasswordGrants++;
      return this.#tokenSuccess(res, ex, user, this.#issueDirect(client, user));
    }
    if (ex.grantType === 'refresh_token') {
      const found = this.#refreshOwner(res, ex, client, params);
      if (typeof found === 'number') return found;
      if (!this.#refreshReuse) this.#tokens.consumeRefresh(found.refreshToken);
      return this.#tokenSuccess(res, ex, found.user, this.#issueDirect(client, found.user));
    }
    return this.#unsupportedGrant(res, ex);
  }

  /** Direct Login: the client-wide revocation rule, the client's scopes. */
  #issueDirect(client: ClientRecord, user: UserRecord): Grant {
    return this.#tokens.issue(client, user.userId, { scope: client.scopes.join(' ') });
  }

  /** The v2 password grant's user (counted), or the status of the error sent. */
  #usernamePassword(
    res: ServerResponse,
    ex: Exchange,
    params: URLSearchParams,
  ): UserRecord | number {
    const missing = ['username', 'password'].filter((name) => !params.get(name));
    if (missing.length > 0) return this.#missing(res, ex, missing);
    const user = this.#passwordGrant(ex, params.get('username'), params.get('password'));
    if (!user) return this.#invalidCredentials(res, ex);
    this.counters.passwordGrants++;
    return user;
  }

  /** A refresh grant's live refresh token and its owner (counted), or the error status. */
  #refreshOwner(
    res: ServerResponse,
    ex: Exchange,
    client: ClientRecord,
    params: URLSearchParams,
  ): { refreshToken: string; record: TokenRecord; user: UserRecord } | number {
    const refreshToken = params.get('refresh_token');
    if (!refreshToken) return this.#missing(res, ex, ['refresh_token']);
    const record = this.#tokens.refresh(refreshToken, client.clientId);
    const user = record && this.#users.get(record.userId);
    if (!record || !user) {
      const description = 'Refresh token is invalid, expired, used or issued to another client';
      return this.#tokenError(res, ex, 400, 'invalid_grant', description);
    }
    ex.userId = user.userId;
    this.counters.refreshGrants++;
    return { refreshToken, record, user };
  }

  /** `POST /oauth/token` (the authentication host): every grant but Direct Login. */
  #oauthToken(
    res: ServerResponse,
    ex: Exchange,
    client: ClientRecord,
    params: URLSearchParams,
  ): number {
    switch (ex.grantType) {
      case undefined:
        return this.#missing(res, ex, ['grant_type']);
      case 'password': {
        const user = this.#usernamePassword(res, ex, params);
        if (typeof user === 'number') return user;
        this.counters.v2PasswordGrants++;
        this.counters.oauthTokenPasswordGrants++;
        const grant = this.#issueDirect(client, user);
        const scope = client.scopes.join(' ');
        return this.#oauthSuccess(res, ex, user, grant, scope, profileFields(user));
      }
      case 'refresh_token':
        return this.#oauthRefresh(res, ex, client, params);
      case 'authorization_code':
        return this.#codeGrant(res, ex, client, params);
      case 'personal_access_token':
        return this.#patGrant(res, ex, client, params);
      default:
        return this.#unsupportedGrant(res, ex);
    }
  }

  /**
   * GoTo's documented refresh: a new access token, and no refresh token (the one used stays
   * valid until it expires) unless rotation is on. The new token inherits the refresh token's
   * scope and revocation rule.
   */
  #oauthRefresh(
    res: ServerResponse,
    ex: Exchange,
    client: ClientRecord,
    params: URLSearchParams,
  ): number {
    const found = this.#refreshOwner(res, ex, client, params);
    if (typeof found === 'number') return found;
    const { refreshToken, record, user } = found;
    const issue = { scope: record.scope, revocation: record.revocation };
    if (this.#rotateRefresh) {
      this.#tokens.consumeRefresh(refreshToken);
      const grant = this.#tokens.issue(client, user.userId, issue);
      return this.#oauthSuccess(res, ex, user, grant, record.scope);
    }
    const accessToken = this.#tokens.issueAccess(client, user.userId, issue);
    return this.#oauthSuccess(res, ex, user, { accessToken }, record.scope);
  }

  #patGrant(
    res: ServerResponse,
    ex: Exchange,
    client: ClientRecord,
    params: URLSearchParams,
  ): number {
    const pat = params.get('pat');
    if (!pat) return this.#missing(res, ex, ['pat']);
    const userId = this.#pats.get(pat);
    const user = userId === undefined ? undefined : this.#users.get(userId);
    if (!user) {
      return this.#tokenError(res, ex, 400, 'invalid_grant', 'Personal access token is invalid');
    }
    ex.userId = user.userId;
    this.counters.personalAccessTokenGrants++;
    const scope = client.scopes.join(' ');
    const grant = this.#tokens.issue(client, user.userId, { scope, revocation: 'user' });
    return this.#oauthSuccess(res, ex, user, grant, scope);
  }

  /** RFC 6749 4.1.3: single-use code, issued to this client, the same `redirect_uri`. */
  #codeGrant(
    res: ServerResponse,
    ex: Exchange,
    client: ClientRecord,
    params: URLSearchParams,
  ): number {
    const code = params.get('code');
    if (!code) return this.#missing(res, ex, ['code']);
    const record = this.#authorizations.takeCode(code);
    const refuse = (description: string) =>
      this.#tokenError(res, ex, 400, 'invalid_grant', description);
    if (!record) return refuse('Authorization code is invalid or expired');
    ex.userId = record.userId;
    if (record.clientId !== client.clientId) {
      return refuse('Authorization code was issued to another client');
    }
    if (record.used) {
      if (record.grant) this.#tokens.revokeGrant(record.grant);
      return refuse('Authorization code was already used');
    }
    const redirectUri = params.get('redirect_uri') ?? undefined;
    const expected = record.givenRedirectUri;
    if (
      expected !== undefined
        ? redirectUri !== expected
        : redirectUri !== undefined && redirectUri !== record.redirectUri
    ) {
      return refuse('redirect_uri does not match the authorization request');
    }
    const user = this.#users.get(record.userId);
    if (!user) return refuse('The user of this code no longer exists');
    const grant = this.#tokens.issue(client, user.userId, {
      scope: record.scope,
      revocation: 'user',
    });
    this.#authorizations.recordGrant(code, grant);
    this.counters.authorizationCodeGrants++;
    return this.#oauthSuccess(res, ex, user, grant, record.scope);
  }

  /**
   * The shape GoTo documents for `/oauth/token`: a number `expires_in`, `scope` and
   * `principal`; `token_type` and `refresh_token` only when a refresh token is issued; then
   * `extra` (the password grant adds Direct Login's user fields, as `/oauth/v2/token` did).
   */
  #oauthSuccess(
    res: ServerResponse,
    ex: Exchange,
    user: UserRecord,
    grant: { accessToken: string; refreshToken?: string },
    scope: string,
    extra: Record<string, string> = {},
  ): number {
    const expiresIn = this.#accessTtlSeconds;
    const principal = principalOf(user);
    const body =
      grant.refreshToken === undefined
        ? { access_token: grant.accessToken, expires_in: expiresIn, scope, principal }
        : {
            access_token: grant.accessToken,
            token_type: 'Bearer',
            refresh_token: grant.refreshToken,
            expires_in: expiresIn,
            scope,
            principal,
            ...extra,
          };
    return this.#send(res, ex, 200, body, NO_STORE);
  }

  /**
   * `GET /oauth/authorize` shows the consent page (or answers at once with `auto`);
   * `POST` is the page's form. An unknown client or redirect URI gets an error page, never a
   * redirect (RFC 6749 4.1.2.1); every later problem is redirected as `error=…`.
   */
  async #authorize(req: IncomingMessage, res: ServerResponse, ex: Exchange): Promise<number> {
    if (ex.method === 'POST') return this.#consentAnswer(req, res, ex);
    if (ex.method !== 'GET') {
      const html = errorPage('Use GET (or the consent form).');
      return this.#page(res, ex, 405, html, 'invalid_request', { Allow: 'GET, POST' });
    }
    const query = new URL(req.url ?? '/', 'http://emulator').searchParams;
    const param = (name: string): string | undefined => query.get(name) ?? undefined;
    // RFC 6749 3.1: no parameter more than once; where the answer would go must be unambiguous.
    const repeated = AUTHORIZE_PARAMS.find((name) => query.getAll(name).length > 1);
    if (repeated === 'client_id' || repeated === 'redirect_uri') {
      const html = errorPage(`Repeated parameter: ${repeated}.`);
      return this.#page(res, ex, 400, html, 'invalid_request');
    }
    const clientId = param('client_id');
    ex.clientId = clientId;
    const client = clientId === undefined ? undefined : this.#clients.get(clientId);
    if (!client) {
      return this.#page(res, ex, 400, errorPage('Unknown client_id.'), 'invalid_client');
    }
    const redirect = resolveRedirectUri(client, param('redirect_uri'));
    if ('problem' in redirect) {
      return this.#page(res, ex, 400, errorPage(redirect.problem), 'invalid_request');
    }
    const request: AuthorizationRequest = {
      clientId: client.clientId,
      redirectUri: redirect.uri,
      givenRedirectUri: param('redirect_uri'),
      state: param('state'),
      scope: '',
    };
    const fail = (error: string, description: string) => {
      ex.error = error;
      const location = redirectTo(request, { error, error_description: description });
      return this.#redirect(res, ex, location);
    };
    if (repeated) return fail('invalid_request', `Repeated parameter: ${repeated}`);
    const responseType = param('response_type');
    if (responseType !== 'code') {
      return responseType === undefined
        ? fail('invalid_request', 'response_type is required')
        : fail('unsupported_response_type', 'Only response_type=code is supported');
    }
    const scope = grantedScope(client, param('scope'));
    if (scope === undefined) return fail('invalid_scope', 'A scope is not enabled for the client');
    request.scope = scope;
    const hint = param('login_hint');
    const hinted = hint === undefined ? undefined : this.#findUser(hint);
    const auto = param('auto');
    if (auto === 'approve') {
      const user = hint === undefined ? this.#users.values().next().value : hinted;
      if (!user) return fail('invalid_request', 'login_hint names no user');
      return this.#approve(res, ex, request, user);
    }
    if (auto === 'deny') return this.#deny(res, ex, request);
    if (auto !== undefined) {
      const html = errorPage('auto must be approve or deny.');
      return this.#page(res, ex, 400, html, 'invalid_request');
    }
    const consent = this.#authorizations.openConsent(request);
    const html = consentPage(
      AUTHORIZE_PATH,
      consent,
      client,
      scope,
      this.#users.values(),
      hinted?.userId,
    );
    return this.#page(res, ex, 200, html);
  }

  /** The consent form: `consent` (the pending request), `user`, `decision`. */
  async #consentAnswer(req: IncomingMessage, res: ServerResponse, ex: Exchange): Promise<number> {
    const body = isFormContentType(req.headers['content-type']) ? await readBody(req) : undefined;
    if (body === 'aborted') {
      this.#finish(ex, 0);
      return 0;
    }
    if (body === undefined || body === 'too-large') {
      return this.#page(res, ex, 400, errorPage('Malformed consent form.'), 'invalid_request');
    }
    const form = new URLSearchParams(body.text);
    const request = this.#authorizations.takeConsent(form.get('consent') ?? '');
    if (!request) {
      const problem = 'This consent page has expired or was already answered. Start again.';
      return this.#page(res, ex, 400, errorPage(problem), 'invalid_request');
    }
    ex.clientId = request.clientId;
    const decision = form.get('decision');
    if (decision === 'deny') return this.#deny(res, ex, request);
    const user = this.#users.get(form.get('user') ?? '');
    if (decision !== 'approve' || !user) {
      return this.#page(res, ex, 400, errorPage('Malformed consent form.'), 'invalid_request');
    }
    return this.#approve(res, ex, request, user);
  }

  #approve(
    res: ServerResponse,
    ex: Exchange,
    request: AuthorizationRequest,
    user: UserRecord,
  ): number {
    ex.userId = user.userId;
    this.counters.consentsApproved++;
    const code = this.#authorizations.issueCode(request, user.userId);
    return this.#redirect(res, ex, redirectTo(request, { code }));
  }

  #deny(res: ServerResponse, ex: Exchange, request: AuthorizationRequest): number {
    ex.error = 'access_denied';
    this.counters.consentsDenied++;
    const location = redirectTo(request, {
      error: 'access_denied',
      error_description: 'The user denied access',
    });
    return this.#redirect(res, ex, location);
  }

  /** A user by login id, or by principal (email). */
  #findUser(name: string): UserRecord | undefined {
    const byId = this.#users.get(name);
    if (byId) return byId;
    for (const user of this.#users.values()) if (principalOf(user) === name) return user;
    return undefined;
  }

  #redirect(res: ServerResponse, ex: Exchange, location: string): number {
    res.writeHead(302, { Location: location, 'Cache-Control': 'no-store', 'Content-Length': 0 });
    res.end();
    this.#finish(ex, 302);
    return 302;
  }

  #page(
    res: ServerResponse,
    ex: Exchange,
    status: number,
    html: string,
    error?: string,
    headers: Record<string, string> = {},
  ): number {
    if (error !== undefined) ex.error = error;
    res.writeHead(status, {
      ...PAGE_HEADERS,
      'Content-Length': Buffer.byteLength(html),
      ...headers,
    });
    res.end(html);
    this.#finish(ex, status);
    return status;
  }

  /** The authenticated client, or why authentication failed. */
  #authenticate(req: IncomingMessage, ex: Exchange): ClientRecord | string {
    const candidates = basicCredentials(req.headers.authorization);
    if (!candidates) return 'Client authentication failed: HTTP Basic credentials required';
    let known = false;
    for (const { id, secret } of candidates) {
      const client = this.#clients.get(id);
      if (!client) continue;
      known = true;
      ex.clientId = id;
      if (client.clientSecret !== undefined && safeEqual(secret, client.clientSecret)) {
        return client;
      }
    }
    if (!known) ex.clientId = candidates[0]?.id;
    return known ? 'Client authentication failed' : 'Unknown client';
  }

  #passwordGrant(ex: Exchange, userId: string | null, password: string | null) {
    ex.userId = userId ?? undefined;
    const user = userId === null ? undefined : this.#users.get(userId);
    // Compare even for an unknown user, so timing does not tell which users exist.
    const passwordOk = safeEqual(password ?? '', user?.password ?? '\0');
    return user && passwordOk ? user : undefined;
  }

  #invalidCredentials(res: ServerResponse, ex: Exchange): number {
    return this.#tokenError(res, ex, 400, 'invalid_grant', 'Invalid user credentials');
  }

  #me(req: IncomingMessage, res: ServerResponse, ex: Exchange): number {
    this.counters.meCalls++;
    if (ex.method !== 'GET') {
      const body = { int_err_code: 'MethodNotAllowed', msg: `${ex.method} is not allowed` };
      return this.#send(res, ex, 405, body, { Allow: 'GET' });
    }
    const { record, user } = this.#bearer(req);
    if (!user) {
      this.counters.meRejected++;
      ex.error = 'InvalidToken';
      const body = { int_err_code: 'InvalidToken', msg: 'Invalid token passed' };
      return this.#send(res, ex, 403, body);
    }
    ex.userId = user.userId;
    ex.clientId = record?.clientId;
    return this.#send(res, ex, 200, {
      userKey: user.organizerKey,
      accountKey: user.accountKey,
      email: user.email || user.userId,
      firstName: user.firstName,
      lastName: user.lastName,
      organizerKey: user.organizerKey,
      locale: 'en_US',
      timeZone: 'America/Los_Angeles',
    });
  }

  /** The live access token of a request and its user, if any. */
  #bearer(req: IncomingMessage): { record?: TokenRecord; user?: UserRecord } {
    const token = bearerToken(req.headers.authorization);
    const record = token === undefined ? undefined : this.#tokens.access(token);
    return { record, user: record && this.#users.get(record.userId) };
  }

  /**
   * `GET /identity/v1/Users/me`: the token's user as a SCIM record (`id` is the user key,
   * `userName` the principal, `accounts[].value` the account key), for a token of any grant. A missing, unknown, expired or revoked token gets 401 (not `/me`'s 403).
   */
  #identity(req: IncomingMessage, res: ServerResponse, ex: Exchange): number {
    this.counters.identityCalls++;
    if (ex.method !== 'GET') {
      const body = scimError(405, `${ex.method} is not allowed`);
      return this.#send(res, ex, 405, body, { Allow: 'GET' });
    }
    const { record, user } = this.#bearer(req);
    if (!record || !user) {
      this.counters.identityRejected++;
      ex.error = 'invalid_token';
      return this.#send(res, ex, 401, scimError(401, 'Invalid token'), {
        'WWW-Authenticate': 'Bearer realm="goto-emulator", error="invalid_token"',
      });
    }
    ex.userId = user.userId;
    ex.clientId = record.clientId;
    const principal = principalOf(user);
    const displayName = [user.firstName, user.lastName].filter(Boolean).join(' ') || principal;
    return this.#send(res, ex, 200, {
      schemas: ['urn:scim:schemas:core:1.0', 'urn:scim:schemas:extension:getgo:1.0'],
      id: user.organizerKey,
      userName: principal,
      displayName,
      name: { givenName: user.firstName, familyName: user.lastName },
      emails: [{ value: principal, type: 'work', primary: true }],
      locale: 'en_US',
      timezone: 'America/Los_Angeles',
      active: true,
      accounts: [{ value: user.accountKey, display: '' }],
    });
  }

  /** The documented shape and key order: string `expires_in`, no `token_type`, blanks as "". */
  #tokenSuccess(res: ServerResponse, ex: Exchange, user: UserRecord, grant: Grant): number {
    const body = {
      access_token: grant.accessToken,
      expires_in: String(this.#accessTtlSeconds),
      refresh_token: grant.refreshToken,
      ...profileFields(user),
    };
    return this.#send(res, ex, 200, body, NO_STORE);
  }

  #missing(res: ServerResponse, ex: Exchange, names: string[]): number {
    const description = `Missing parameter: ${names.join(', ')}`;
    return this.#tokenError(res, ex, 400, 'invalid_request', description);
  }

  #unsupportedGrant(res: ServerResponse, ex: Exchange): number {
    const description = `Unsupported grant_type on ${ex.path}`;
    return this.#tokenError(res, ex, 400, 'unsupported_grant_type', description);
  }

  #tokenError(
    res: ServerResponse,
    ex: Exchange,
    status: number,
    error: string,
    description: string,
    headers: Record<string, string> = {},
  ): number {
    this.counters.tokenErrors++;
    ex.error = error;
    const body = { error, error_description: description };
    return this.#send(res, ex, status, body, { ...NO_STORE, ...headers });
  }

  #send(
    res: ServerResponse,
    ex: Exchange,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): number {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
    this.#finish(ex, status);
    return status;
  }

  #finish(ex: Exchange, status: number): void {
    const { started, ...fields } = ex;
    const entry: EmulatorRequestLogEntry = { at: this.clock.now(), ...fields, status };
    for (const key of ['grantType', 'clientId', 'userId', 'error', 'fault', 'host'] as const) {
      if (entry[key] === undefined) delete entry[key];
    }
    if (this.#logLimit > 0) {
      this.#log.push(entry);
      if (this.#log.length > this.#logLimit) this.#log.shift();
    }
    if (this.#logger) {
      const extras = (['host', 'grantType', 'clientId', 'userId', 'error', 'fault'] as const)
        .filter((key) => entry[key] !== undefined)
        .map((key) => ` ${key}=${entry[key]}`)
        .join('');
      const ms = (performance.now() - started).toFixed(1);
      this.#logger(`${entry.method} ${entry.path} ${status}${extras} ${ms}ms`);
    }
  }
}

/** Direct Login's user fields, in the documented order, blanks as "". */
function profileFields(user: UserRecord): Record<string, string> {
  return {
    organizer_key: user.organizerKey,
    account_key: user.accountKey,
    account_type: user.accountType,
    firstName: user.firstName,
    lastName: user.lastName,
    email: user.email,
    platform: 'GLOBAL',
    version: '2',
  };
}

/** SCIM 1.x error body. */
function scimError(status: number, description: string) {
  return { Errors: [{ description, code: String(status) }] };
}

/** Listens; resolves with the bound port. */
function listenOn(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Starts a GoTo emulator. The API host's paths: Direct Login `POST /oauth/access_token`,
 * `POST /oauth/v2/token` (password and refresh grants, HTTP Basic client auth),
 * `GET /admin/rest/v1/me` and `GET /identity/v1/Users/me`. The authentication host's paths
 * (`authentication.logmeininc.com`, the same server unless `authenticationHost` is set):
 * `POST /oauth/token` (`password`, `refresh_token`, `authorization_code`,
 * `personal_access_token`) and the `GET /oauth/authorize` consent page. With GoToAssist
 * Corporate revocation, refresh-token rotation switches, expiry on an injectable clock, GoTo's
 * rate limit and fault injection.
 *
 * @example
 * ```ts
 * const emulator = await startEmulator();
 * const res = await fetch(`${emulator.url}/oauth/access_token`, {
 *   method: 'POST',
 *   headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
 *   body: new URLSearchParams({ grant_type: 'password', user_id: 'agent@example.com',
 *     password: 'emulator-password', client_id: 'goto-emulator-client' }),
 * });
 *
 * // Sign in with GoTo, approved at once (`auto=approve`), then the code exchange:
 * const redirect = await fetch(`${emulator.authUrl}/oauth/authorize?` + new URLSearchParams({
 *   client_id: 'goto-emulator-client', response_type: 'code', state: 's1',
 *   redirect_uri: 'http://127.0.0.1:3000/callback', auto: 'approve' }), { redirect: 'manual' });
 * const code = new URL(redirect.headers.get('location') ?? '').searchParams.get('code');
 * await emulator.close();
 * ```
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<GoToEmulator> {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError('startEmulator: port must be an integer from 0 to 65535');
  }
  const emulator = new Emulator(options);
  await emulator.listen(port, options.host ?? '127.0.0.1');
  return emulator;
}
