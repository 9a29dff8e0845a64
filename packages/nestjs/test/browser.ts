import { Browser as SignInBrowser } from '@goto-auth/test-support';

/**
 * A browser for sign-in tests that sends `Connection: close`: no idle keep-alive socket holds
 * up app.close().
 */
export class Browser extends SignInBrowser {
  constructor() {
    super({ close: true });
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
