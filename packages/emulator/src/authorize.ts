import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { ClientRecord, Grant, UserRecord } from './tokens.js';

/** What a consent was asked for, checked once on `GET /oauth/authorize`. */
export interface AuthorizationRequest {
  clientId: string;
  /** Where the answer goes. */
  redirectUri: string;
  /** `redirect_uri` as given on authorize; undefined when left out (RFC 6749 4.1.3). */
  givenRedirectUri: string | undefined;
  state: string | undefined;
  /** Space-separated. */
  scope: string;
}

export interface CodeRecord extends AuthorizationRequest {
  userId: string;
  expiresAt: number;
  /** Set once exchanged: a replay revokes these (RFC 6749 4.1.2). */
  grant?: Grant;
  used: boolean;
}

/** How long the consent page's form stays usable. */
const CONSENT_TTL_MS = 10 * 60 * 1000;
const SWEEP_EVERY = 256;

const newCode = (): string => randomBytes(32).toString('base64url');

/** `localhost`, `127.0.0.0/8` and `::1` exactly: `*.localhost` may resolve through DNS. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * The redirect URI an authorization request answers to, or why there is none. RFC 6749 3.1.2:
 * absolute, no fragment; registered URIs match by string equality.
 */
export function resolveRedirectUri(
  client: ClientRecord,
  given: string | undefined,
): { uri: string } | { problem: string } {
  if (client.redirectUris) {
    if (given === undefined) {
      const first = client.redirectUris[0];
      return first === undefined
        ? { problem: 'The client has no registered redirect_uri.' }
        : { uri: first };
    }
    return client.redirectUris.includes(given)
      ? { uri: given }
      : { problem: 'redirect_uri is not registered for this client.' };
  }
  if (given === undefined) return { problem: 'redirect_uri is required.' };
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    return { problem: 'redirect_uri is not an absolute URI.' };
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !isLoopbackHost(url.hostname)) {
    return { problem: 'redirect_uri must be an http(s) URI on a loopback host.' };
  }
  if (given.includes('#')) return { problem: 'redirect_uri must not have a fragment.' };
  return { uri: given };
}

/** `redirect_uri` with the answer's parameters appended to its query. */
export function redirectTo(request: AuthorizationRequest, params: Record<string, string>): string {
  const url = new URL(request.redirectUri);
  for (const [name, value] of Object.entries(params)) url.searchParams.append(name, value);
  if (request.state !== undefined) url.searchParams.append('state', request.state);
  return url.href;
}

/** The requested scope if the client has every part of it, else undefined. */
export function grantedScope(client: ClientRecord, asked: string | undefined): string | undefined {
  if (asked === undefined || asked.trim() === '') return client.scopes.join(' ');
  const parts = asked.split(' ').filter(Boolean);
  return parts.every((part) => client.scopes.includes(part)) ? parts.join(' ') : undefined;
}

/**
 * Pending consents (the page's form refers to one by an opaque id, so a POST cannot change the
 * client or the redirect URI) and authorization codes. Both are single use and short-lived.
 */
export class AuthorizationBook {
  readonly #consents = new Map<string, AuthorizationRequest & { expiresAt: number }>();
  readonly #codes = new Map<string, CodeRecord>();
  #added = 0;

  constructor(
    private readonly now: () => number,
    private readonly codeTtlMs: number,
  ) {}

  openConsent(request: AuthorizationRequest): string {
    this.#maybeSweep();
    const id = newCode();
    this.#consents.set(id, { ...request, expiresAt: this.now() + CONSENT_TTL_MS });
    return id;
  }

  /** Takes a pending consent (single use); undefined when unknown or expired. */
  takeConsent(id: string): AuthorizationRequest | undefined {
    const consent = this.#consents.get(id);
    if (!consent) return undefined;
    this.#consents.delete(id);
    const { expiresAt, ...request } = consent;
    return this.now() < expiresAt ? request : undefined;
  }

  issueCode(request: AuthorizationRequest, userId: string): string {
    this.#maybeSweep();
    const code = newCode();
    this.#codes.set(code, {
      ...request,
      userId,
      expiresAt: this.now() + this.codeTtlMs,
      used: false,
    });
    return code;
  }

  /**
   * The code's record, marked used. A used code stays known until it expires, so a replay can
   * be told apart from a code never issued (and revoke what the first exchange got).
   */
  takeCode(code: string): CodeRecord | undefined {
    const record = this.#codes.get(code);
    if (!record) return undefined;
    if (this.now() >= record.expiresAt) {
      this.#codes.delete(code);
      return undefined;
    }
    const seen = { ...record };
    record.used = true;
    return seen;
  }

  /** Remembers what a code bought, for the replay rule. */
  recordGrant(code: string, grant: Grant): void {
    const record = this.#codes.get(code);
    if (record) record.grant = grant;
  }

  #maybeSweep(): void {
    if (++this.#added % SWEEP_EVERY !== 0) return;
    const now = this.now();
    for (const map of [this.#consents, this.#codes]) {
      for (const [key, record] of map) if (record.expiresAt <= now) map.delete(key);
    }
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}' +
  'button{font:inherit;padding:.4rem 1.2rem;margin-right:.5rem}select{font:inherit}';

function page(title: string, body: string): string {
  return (
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}` +
    `</title><meta name="viewport" content="width=device-width"><style>${STYLE}</style></head>` +
    `<body>${body}</body></html>\n`
  );
}

/** The consent page: pick a user, then Approve or Deny (a form POSTed back to authorize). */
export function consentPage(
  action: string,
  consentId: string,
  client: ClientRecord,
  scope: string,
  users: Iterable<UserRecord>,
  selected: string | undefined,
): string {
  const options = [...users]
    .map((user) => {
      const name = [user.firstName, user.lastName].filter(Boolean).join(' ');
      const label = name ? `${name} (${user.userId})` : user.userId;
      const attr = user.userId === selected ? ' selected' : '';
      return `<option value="${escapeHtml(user.userId)}"${attr}>${escapeHtml(label)}</option>`;
    })
    .join('');
  const scopes = scope
    .split(' ')
    .filter(Boolean)
    .map((part) => `<li><code>${escapeHtml(part)}</code></li>`)
    .join('');
  return page(
    'Allow access? (GoTo emulator)',
    `<h1>Allow access?</h1><p>The application <strong id="client">${escapeHtml(client.clientId)}` +
      `</strong> asks to act for you.</p>${scopes ? `<ul id="scopes">${scopes}</ul>` : ''}` +
      `<form method="post" action="${escapeHtml(action)}">` +
      `<input type="hidden" name="consent" value="${escapeHtml(consentId)}">` +
      `<p><label>Sign in as <select name="user" id="user">${options}</select></label></p>` +
      '<button type="submit" name="decision" value="approve" id="approve">Allow</button>' +
      '<button type="submit" name="decision" value="deny" id="deny">Deny</button></form>',
  );
}

export function errorPage(problem: string): string {
  return page(
    'Authorization error (GoTo emulator)',
    `<h1>Authorization error</h1><p id="error">${escapeHtml(problem)}</p>`,
  );
}
