import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { EMULATOR_DEFAULT_SCOPES } from './defaults.js';
import type { EmulatorClient, EmulatorUser } from './types.js';

export interface ClientRecord {
  clientId: string;
  clientSecret: string | undefined;
  revokeOnNewToken: boolean;
  /** Undefined: any loopback redirect URI. */
  redirectUris: readonly string[] | undefined;
  scopes: readonly string[];
}

export interface UserRecord {
  userId: string;
  password: string;
  organizerKey: string;
  accountKey: string;
  accountType: string;
  firstName: string;
  lastName: string;
  email: string;
  personalAccessTokens: readonly string[];
}

/** "Who the token represents" in `/oauth/token` answers: the email, else the login id. */
export function principalOf(user: UserRecord): string {
  return user.email || user.userId;
}

export interface Grant {
  accessToken: string;
  refreshToken: string;
}

/**
 * Which tokens a new one revokes (when the client revokes at all): every token of the client
 * (Direct Login, GoToAssist Corporate's rule) or only the same user's tokens of the client
 * (a sign-in or a personal access token).
 */
export type RevocationScope = 'client' | 'user';

export interface IssueOptions {
  /** Space-separated; '' for Direct Login tokens. */
  scope?: string;
  revocation?: RevocationScope;
}

export interface TokenRecord {
  clientId: string;
  userId: string;
  expiresAt: number;
  scope: string;
  revocation: RevocationScope;
}

const SWEEP_EVERY = 1024;

/** Comparing digests keeps the comparison constant-time whatever the lengths. */
export function safeEqual(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** GoTo keys are 19-digit strings, beyond 2^53: derived ones must look the same. */
function derivedKey(userId: string, salt: string): string {
  const hex = createHash('sha256').update(`${salt}:${userId}`).digest('hex').slice(0, 16);
  return (10n ** 18n + (BigInt(`0x${hex}`) % (9n * 10n ** 18n))).toString();
}

export function toClientRecord(client: EmulatorClient): ClientRecord {
  return {
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    revokeOnNewToken: client.revokeOnNewToken ?? true,
    redirectUris: client.redirectUris && [...client.redirectUris],
    scopes: [...(client.scopes ?? EMULATOR_DEFAULT_SCOPES)],
  };
}

export function toUserRecord(user: EmulatorUser): UserRecord {
  return {
    userId: user.userId,
    password: user.password,
    organizerKey: user.organizerKey ?? derivedKey(user.userId, 'organizer'),
    accountKey: user.accountKey ?? derivedKey(user.userId, 'account'),
    accountType: user.accountType ?? '',
    firstName: user.firstName ?? '',
    lastName: user.lastName ?? '',
    email: user.email ?? '',
    personalAccessTokens: [...(user.personalAccessTokens ?? [])],
  };
}

/** Same lengths as the documented example tokens (27 and 32 characters). */
export const newAccessToken = (): string => randomBytes(20).toString('base64url');
export const newRefreshToken = (): string => randomBytes(24).toString('base64url');

/**
 * Access and refresh tokens with their owners and expiry. Revoked and consumed tokens are
 * deleted; expired ones are swept now and then so a long benchmark stays bounded.
 */
export class TokenBook {
  readonly #access = new Map<string, TokenRecord>();
  readonly #refresh = new Map<string, TokenRecord>();
  #issued = 0;

  constructor(
    private readonly now: () => number,
    private readonly accessTtlMs: number,
    private readonly refreshTtlMs: number,
  ) {}

  /** A new access and refresh token pair; the revocation rule applies. */
  issue(client: ClientRecord, userId: string, options: IssueOptions = {}): Grant {
    const accessToken = this.issueAccess(client, userId, options);
    const refreshToken = newRefreshToken();
    this.#refresh.set(refreshToken, {
      ...this.#record(client.clientId, userId, options),
      expiresAt: this.now() + this.refreshTtlMs,
    });
    return { accessToken, refreshToken };
  }

  /** A new access token alone (a refresh that keeps its refresh token); the rule applies. */
  issueAccess(client: ClientRecord, userId: string, options: IssueOptions = {}): string {
    const now = this.now();
    if (++this.#issued % SWEEP_EVERY === 0) this.#sweep(now);
    if (client.revokeOnNewToken) {
      const revocation = options.revocation ?? 'client';
      this.revokeAccess(client.clientId, revocation === 'user' ? userId : undefined);
    }
    const accessToken = newAccessToken();
    this.#access.set(accessToken, {
      ...this.#record(client.clientId, userId, options),
      expiresAt: now + this.accessTtlMs,
    });
    return accessToken;
  }

  #record(clientId: string, userId: string, options: IssueOptions): Omit<TokenRecord, 'expiresAt'> {
    return {
      clientId,
      userId,
      scope: options.scope ?? '',
      revocation: options.revocation ?? 'client',
    };
  }

  /** The owner of a live access token, or undefined (unknown, revoked or expired). */
  access(token: string): TokenRecord | undefined {
    const record = this.#access.get(token);
    return record && this.now() < record.expiresAt ? record : undefined;
  }

  /** The owner of a live refresh token issued to `clientId`, or undefined. */
  refresh(token: string, clientId: string): TokenRecord | undefined {
    const record = this.#refresh.get(token);
    if (!record || record.clientId !== clientId) return undefined;
    return this.now() < record.expiresAt ? record : undefined;
  }

  consumeRefresh(token: string): void {
    this.#refresh.delete(token);
  }

  /** Revokes the access tokens of a client (and of one of its users), or every one. */
  revokeAccess(clientId?: string, userId?: string): void {
    for (const [token, record] of this.#access) {
      if (clientId !== undefined && record.clientId !== clientId) continue;
      if (userId !== undefined && record.userId !== userId) continue;
      this.#access.delete(token);
    }
  }

  /** Forgets both tokens of one grant (RFC 6749 4.1.2: a replayed code revokes its tokens). */
  revokeGrant(grant: Grant): void {
    this.#access.delete(grant.accessToken);
    this.#refresh.delete(grant.refreshToken);
  }

  expireAccess(): void {
    const now = this.now();
    for (const record of this.#access.values()) record.expiresAt = Math.min(record.expiresAt, now);
  }

  #sweep(now: number): void {
    for (const map of [this.#access, this.#refresh]) {
      for (const [token, record] of map) if (record.expiresAt <= now) map.delete(token);
    }
  }
}
