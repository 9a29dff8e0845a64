import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { EmulatorClient, EmulatorUser } from './types.js';

export interface ClientRecord {
  clientId: string;
  clientSecret: string | undefined;
  revokeOnNewToken: boolean;
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
}

export interface Grant {
  accessToken: string;
  refreshToken: string;
}

interface TokenRecord {
  clientId: string;
  userId: string;
  expiresAt: number;
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

  issue(client: ClientRecord, userId: string): Grant {
    const now = this.now();
    if (++this.#issued % SWEEP_EVERY === 0) this.#sweep(now);
    if (client.revokeOnNewToken) this.revokeAccess(client.clientId);
    const accessToken = newAccessToken();
    const refreshToken = newRefreshToken();
    const { clientId } = client;
    this.#access.set(accessToken, { clientId, userId, expiresAt: now + this.accessTtlMs });
    this.#refresh.set(refreshToken, { clientId, userId, expiresAt: now + this.refreshTtlMs });
    return { accessToken, refreshToken };
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

  revokeAccess(clientId?: string): void {
    for (const [token, record] of this.#access) {
      if (clientId === undefined || record.clientId === clientId) this.#access.delete(token);
    }
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
