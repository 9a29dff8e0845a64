import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The cookie that says who signed in: the principal, signed. The tokens stay on the server. */
export const SESSION_COOKIE = 'sample_session';
/** How long a browser stays signed in. */
const SESSION_SECONDS = 8 * 60 * 60;

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/**
 * The sample's minimal session: a signed, `HttpOnly`, `SameSite=Lax` cookie holding the
 * principal GoTo named at sign-in. A real app uses its own session (express-session, a JWT…);
 * the GoTo tokens never go into it.
 */
export class UserSessions {
  readonly #key: Buffer;
  readonly #secure: boolean;

  /**
   * @param secret - `SESSION_SECRET`; without one, a random key (sessions end with the process)
   * @param secure - whether the cookie is `Secure` (the app is served over https)
   */
  constructor(secret: string | undefined, secure: boolean) {
    this.#key = secret === undefined ? randomBytes(32) : Buffer.from(secret);
    this.#secure = secure;
  }

  #sign(value: string): string {
    return createHmac('sha256', this.#key).update(value).digest('base64url');
  }

  /** The `Set-Cookie` value that signs `principal` in. */
  cookieFor(principal: string): string {
    const value = b64url(principal);
    return this.#attributes(`${SESSION_COOKIE}=${value}.${this.#sign(value)}`, SESSION_SECONDS);
  }

  /** The `Set-Cookie` value that signs out. */
  clearCookie(): string {
    return this.#attributes(`${SESSION_COOKIE}=`, 0);
  }

  /** The signed-in principal named by a `Cookie` header, or `undefined`. */
  principalOf(cookieHeader: string | undefined): string | undefined {
    for (const part of (cookieHeader ?? '').split(';')) {
      const [name, raw] = part.trim().split('=', 2);
      if (name !== SESSION_COOKIE || raw === undefined) continue;
      const [value, signature] = raw.split('.', 2);
      if (value === undefined || signature === undefined) return undefined;
      const expected = Buffer.from(this.#sign(value));
      const given = Buffer.from(signature);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
      return Buffer.from(value, 'base64url').toString('utf8');
    }
    return undefined;
  }

  #attributes(cookie: string, maxAge: number): string {
    return `${cookie}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${this.#secure ? '; Secure' : ''}`;
  }
}
