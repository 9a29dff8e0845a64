import { expect } from 'vitest';

/** A browser for sign-in tests: follows no redirect by itself, keeps cookies by name. */
export class Browser {
  readonly jar = new Map<string, string>();
  /** Every Set-Cookie header value received, in order. */
  readonly setCookies: string[] = [];

  async get(url: string): Promise<Response> {
    const cookie = [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, {
      redirect: 'manual',
      // No idle keep-alive socket holds up app.close().
      headers: { connection: 'close', ...(cookie === '' ? {} : { cookie }) },
    });
    for (const header of response.headers.getSetCookie()) {
      this.setCookies.push(header);
      const [pair = ''] = header.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (value === '' || /max-age=0/i.test(header)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return response;
  }

  /** Login, GoTo's consent (answered at once by the emulator), and the callback. */
  async signIn(loginUrl: string): Promise<{ callback: string; answer: Response }> {
    const login = await this.get(loginUrl);
    expect(login.status).toBe(302);
    const consent = await this.get(login.headers.get('location') ?? '');
    expect(consent.status).toBe(302);
    const callback = consent.headers.get('location') ?? '';
    return { callback, answer: await this.get(callback) };
  }

  /** The state cookie's Set-Cookie header from the latest login. */
  stateCookie(name = 'goto_auth_state'): string | undefined {
    return this.setCookies.findLast(
      (header) => header.startsWith(`${name}=`) && !/max-age=0/i.test(header),
    );
  }
}

/** A free loopback port, so a redirect URI can name the port the app will listen on. */
export { freePort } from '@goto-auth/test-support/net';

/** The attributes of a Set-Cookie header value, trimmed. */
export function attributes(setCookie: string): string[] {
  return setCookie
    .split(';')
    .slice(1)
    .map((part) => part.trim());
}
