import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createClock } from './clock.js';
import { EMULATOR_DEFAULTS } from './defaults.js';
import { answerFault, FaultPlan } from './faults.js';
import {
  type ClientRecord,
  type Grant,
  safeEqual,
  TokenBook,
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
  EmulatorRequestLogEntry,
  GoToEmulator,
} from './types.js';

const LEGACY_PATH = '/oauth/access_token';
const V2_PATH = '/oauth/v2/token';
/** GoTo's current token endpoint (on authentication.logmeininc.com): Basic client auth, as v2. */
const AUTH_PATH = '/oauth/token';
const ME_PATH = '/admin/rest/v1/me';
const TOKEN_BODY_LIMIT = 64 * 1024;
/** Oversized bodies are drained (so the client reads the 413) up to this, then cut off. */
const DRAIN_LIMIT = 16 * 1024 * 1024;
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
];
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };
const WWW_AUTHENTICATE = { 'WWW-Authenticate': 'Basic realm="goto-emulator", charset="UTF-8"' };

type Exchange = Omit<EmulatorRequestLogEntry, 'at' | 'status'> & { started: number };

type Body = { text: string } | 'too-large' | 'aborted';

interface PendingDelay {
  timer: NodeJS.Timeout;
  resolve: (completed: boolean) => void;
}

function zeroCounters(): EmulatorCounters {
  return {
    passwordGrants: 0,
    legacyPasswordGrants: 0,
    v2PasswordGrants: 0,
    refreshGrants: 0,
    externalGrants: 0,
    tokenErrors: 0,
    meCalls: 0,
    meRejected: 0,
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

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const query = raw.indexOf('?');
  return query === -1 ? raw : raw.slice(0, query);
}

function isFormContentType(header: string | undefined): boolean {
  const mediaType = header?.split(';', 1)[0]?.trim().toLowerCase();
  return mediaType === 'application/x-www-form-urlencoded';
}

/** `application/x-www-form-urlencoded` decoding, as RFC 6749 2.3.1 asks of Basic credentials. */
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

interface Credentials {
  id: string;
  secret: string;
}

/** Both readings of the Basic credentials: plain (what GoTo documents) and form-decoded. */
function basicCredentials(header: string | undefined): Credentials[] | undefined {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  const plain = { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
  const id = formDecode(plain.id);
  const secret = formDecode(plain.secret);
  if (id === undefined || secret === undefined) return [plain];
  if (id === plain.id && secret === plain.secret) return [plain];
  return [plain, { id, secret }];
}

function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer +(\S+) *$/i.exec(header ?? '')?.[1];
}

function readBody(req: IncomingMessage): Promise<Body> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= TOKEN_BODY_LIMIT) chunks.push(chunk);
      else if (size > DRAIN_LIMIT) req.destroy();
    });
    req.on('end', () => {
      resolve(size > TOKEN_BODY_LIMIT ? 'too-large' : { text: Buffer.concat(chunks).toString() });
    });
    req.on('error', () => resolve('aborted'));
    req.on('close', () => resolve('aborted'));
  });
}

class Emulator implements GoToEmulator {
  readonly clock: EmulatorClock;
  readonly counters = zeroCounters();
  readonly #log: EmulatorRequestLogEntry[] = [];
  readonly #logLimit: number;
  readonly #logger: ((line: string) => void) | undefined;
  readonly #users: Map<string, UserRecord>;
  readonly #clients: Map<string, ClientRecord>;
  readonly #tokens: TokenBook;
  readonly #refreshReuse: boolean;
  readonly #accessTtlSeconds: number;
  readonly #faults = new FaultPlan();
  readonly #delays = new Set<PendingDelay>();
  readonly #server: Server;
  #closing: Promise<void> | undefined;
  url = '';
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
    this.#refreshReuse = options.refreshTokenReuse ?? false;
    this.#users = new Map();
    for (const user of options.users ?? [EMULATOR_DEFAULTS]) {
      if (this.#users.has(user.userId)) {
        throw new Error(`startEmulator: duplicate user ${JSON.stringify(user.userId)}`);
      }
      this.#users.set(user.userId, toUserRecord(user));
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
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch(() => {
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

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        const address = this.#server.address() as AddressInfo;
        this.port = address.port;
        this.url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
        resolve();
      });
    });
  }

  reset(): void {
    Object.assign(this.counters, zeroCounters());
    this.#log.length = 0;
    this.#faults.clear();
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
    return this.#tokens.issue(client, userId);
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
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closing;
  }

  /** Returns the status sent (0 when none was). */
  async #handle(req: IncomingMessage, res: ServerResponse): Promise<number> {
    this.counters.requests++;
    const ex: Exchange = {
      method: req.method ?? 'GET',
      path: pathOf(req.url),
      started: performance.now(),
    };
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
    switch (ex.path) {
      case LEGACY_PATH:
      case V2_PATH:
      case AUTH_PATH:
        return this.#token(req, res, ex, ex.path !== LEGACY_PATH);
      case ME_PATH:
        return this.#me(req, res, ex);
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
    v2: boolean,
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
    if (v2) return this.#v2Token(req, res, ex, params);
    return this.#legacyToken(res, ex, params);
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
    return this.#tokenSuccess(res, ex, user, this.#tokens.issue(client, user.userId));
  }

  #v2Token(
    req: IncomingMessage,
    res: ServerResponse,
    ex: Exchange,
    params: URLSearchParams,
  ): number {
    const client = this.#authenticate(req, ex);
    if (typeof client === 'string') {
      return this.#tokenError(res, ex, 401, 'invalid_client', client, WWW_AUTHENTICATE);
    }
    if (!ex.grantType) return this.#missing(res, ex, ['grant_type']);
    if (ex.grantType === 'password') {
      const missing = ['username', 'password'].filter((name) => !params.get(name));
      if (missing.length > 0) return this.#missing(res, ex, missing);
      const user = this.#passwordGrant(ex, params.get('username'), params.get('password'));
      if (!user) return this.#invalidCredentials(res, ex);
      this.counters.passwordGrants++;
      this.counters.v2PasswordGrants++;
      return this.#tokenSuccess(res, ex, user, this.#tokens.issue(client, user.userId));
    }
    if (ex.grantType === 'refresh_token') {
      const refreshToken = params.get('refresh_token');
      if (!refreshToken) return this.#missing(res, ex, ['refresh_token']);
      const record = this.#tokens.refresh(refreshToken, client.clientId);
      const user = record && this.#users.get(record.userId);
      if (!user) {
        const description = 'Refresh token is invalid, expired, used or issued to another client';
        return this.#tokenError(res, ex, 400, 'invalid_grant', description);
      }
      ex.userId = user.userId;
      if (!this.#refreshReuse) this.#tokens.consumeRefresh(refreshToken);
      this.counters.refreshGrants++;
      return this.#tokenSuccess(res, ex, user, this.#tokens.issue(client, user.userId));
    }
    return this.#unsupportedGrant(res, ex);
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
    const token = bearerToken(req.headers.authorization);
    const record = token === undefined ? undefined : this.#tokens.access(token);
    const user = record && this.#users.get(record.userId);
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

  /** The documented shape and key order: string `expires_in`, no `token_type`, blanks as "". */
  #tokenSuccess(res: ServerResponse, ex: Exchange, user: UserRecord, grant: Grant): number {
    const body = {
      access_token: grant.accessToken,
      expires_in: String(this.#accessTtlSeconds),
      refresh_token: grant.refreshToken,
      organizer_key: user.organizerKey,
      account_key: user.accountKey,
      account_type: user.accountType,
      firstName: user.firstName,
      lastName: user.lastName,
      email: user.email,
      platform: 'GLOBAL',
      version: '2',
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
    for (const key of ['grantType', 'clientId', 'userId', 'error', 'fault'] as const) {
      if (entry[key] === undefined) delete entry[key];
    }
    if (this.#logLimit > 0) {
      this.#log.push(entry);
      if (this.#log.length > this.#logLimit) this.#log.shift();
    }
    if (this.#logger) {
      const extras = (['grantType', 'clientId', 'userId', 'error', 'fault'] as const)
        .filter((key) => entry[key] !== undefined)
        .map((key) => ` ${key}=${entry[key]}`)
        .join('');
      const ms = (performance.now() - started).toFixed(1);
      this.#logger(`${entry.method} ${entry.path} ${status}${extras} ${ms}ms`);
    }
  }
}

/**
 * Starts a GoTo Direct Login emulator: `POST /oauth/access_token` (legacy),
 * `POST /oauth/v2/token` (password and refresh grants, HTTP Basic client auth) and
 * `GET /admin/rest/v1/me`, with GoToAssist Corporate revocation, refresh-token rotation,
 * expiry on an injectable clock and fault injection.
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
