import type { IncomingMessage } from 'node:http';

export const TOKEN_BODY_LIMIT = 64 * 1024;
/** Oversized bodies are drained (so the client reads the 413) up to this, then cut off. */
export const DRAIN_LIMIT = 16 * 1024 * 1024;

export type Body = { text: string } | 'too-large' | 'aborted';

export function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const query = raw.indexOf('?');
  return query === -1 ? raw : raw.slice(0, query);
}

export function isFormContentType(header: string | undefined): boolean {
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

export interface Credentials {
  id: string;
  secret: string;
}

/** Both readings of the Basic credentials: plain (what GoTo documents) and form-decoded. */
export function basicCredentials(header: string | undefined): Credentials[] | undefined {
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

export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer +(\S+) *$/i.exec(header ?? '')?.[1];
}

export function readBody(req: IncomingMessage): Promise<Body> {
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
