/**
 * No error, event, log line, status or inspect/JSON output ever contains a piece of a secret,
 * wherever GoTo (or a store, or the network) puts it in what it says.
 */
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { createGoToAuth, type GoToAuthEvent, type TokenStore } from '../src/index.js';
import { propertyRuns } from './helpers.js';

// Characters that no message of ours contains, so any 4 of them in a row came from a secret.
const SECRET_CHARS = 'ÆØÅæøåßÐÞþ¤§¶µ¿¡ĦħŁłŊŋŒœ';
const secretArb = fc
  .array(fc.constantFrom(...SECRET_CHARS), { minLength: 4, maxLength: 80 })
  .map((chars) => chars.join(''));

/** Every run of 4 characters of `secret`. */
function pieces(secret: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 4 <= secret.length; i++) out.push(secret.slice(i, i + 4));
  return out;
}

type Place =
  | 'error'
  | 'error_description'
  | 'html'
  | 'other-field'
  | 'network'
  | 'timeout'
  | 'invalid-response'
  | 'store';

/** The timeout of these tests: the timer of that length fires at once, the others never. */
const TIMEOUT = 7_777;

/** Ways a 200 answer can be unusable, each carrying the text. */
const unusable = (text: string) => [
  text,
  `{"access_token":"a","expires_in":${JSON.stringify(text)}}`,
  `{"access_token":"a","token_type":${JSON.stringify(text)}}`,
  `{"expires_in":3600,"detail":${JSON.stringify(text)}}`,
  `{"access_token":${JSON.stringify(text)},"expires_in":-1}`,
  `{"access_token":"a","refresh_token":${JSON.stringify(text)},"expires_in":"soon"}`,
];

const caseArb = fc.record({
  password: secretArb,
  clientSecret: secretArb,
  refreshToken: secretArb,
  which: fc.constantFrom('password', 'clientSecret', 'refreshToken'),
  place: fc.constantFrom<Place>(
    'error',
    'error_description',
    'html',
    'other-field',
    'network',
    'timeout',
    'invalid-response',
    'store',
  ),
  shape: fc.nat(5),
  status: fc.constantFrom(400, 401, 403, 404, 408, 429, 500, 502, 503),
  before: fc.string({ maxLength: 300 }),
  after: fc.string({ maxLength: 300 }),
  refresh: fc.boolean(),
});

describe('secrets never leak', () => {
  it('from any GoTo error body, network or store failure, into any output', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        // A refresh token is a secret only once GoTo has sent it.
        fc.pre(c.which !== 'refreshToken' || c.refresh);
        const secret = c[c.which as 'password' | 'clientSecret' | 'refreshToken'];
        const text = `${c.before}${secret}${c.after}`;
        const lines: string[] = [];
        const events: GoToAuthEvent[] = [];
        let now = 1_000_000;
        let calls = 0;
        const fetchStub = (async (_url: string, init?: RequestInit) => {
          calls++;
          // With `refresh`, the first answer is a token carrying the refresh token; the
          // refresh that follows meets the failure.
          if (c.refresh && calls === 1) {
            return Response.json({
              access_token: 'first-access',
              expires_in: 3600,
              refresh_token: c.refreshToken,
            });
          }
          if (c.place === 'network') throw new TypeError(`fetch failed: ${text}`);
          if (c.place === 'timeout') {
            // Never answers; the timeout aborts it, with the text in what fetch then throws.
            return new Promise<Response>((_resolve, reject) => {
              init?.signal?.addEventListener('abort', () =>
                reject(new DOMException(`aborted: ${text}`, 'AbortError')),
              );
            });
          }
          if (c.place === 'invalid-response') {
            return new Response(unusable(text)[c.shape], {
              headers: { 'content-type': 'application/json' },
            });
          }
          if (c.place === 'html') {
            return new Response(`<html>${text}</html>`, {
              status: c.status,
              headers: { 'content-type': 'text/html' },
            });
          }
          const body =
            c.place === 'error'
              ? { error: text }
              : c.place === 'error_description'
                ? { error: 'invalid_request', error_description: text }
                : { error: 'invalid_grant', detail: text, error_description: 'see detail' };
          return Response.json(body, { status: c.status, headers: { 'retry-after': '1' } });
        }) as typeof fetch;
        const failingStore: TokenStore | undefined =
          c.place === 'store' && !c.refresh
            ? {
                get: async () => {
                  throw new Error(`store said ${text}`);
                },
                set: async () => {
                  throw new Error(`store said ${text}`);
                },
                delete: async () => {},
                lock: async () => {
                  throw new Error(`store said ${text}`);
                },
              }
            : undefined;
        const auth = createGoToAuth({
          clientId: 'client-id',
          clientSecret: c.clientSecret,
          userId: 'user',
          password: c.password,
          baseUrl: 'https://api.getgo.com',
          fetch: fetchStub,
          now: () => now,
          timeout: TIMEOUT,
          timers: {
            setTimeout: (callback, ms) => {
              const handle = ms === TIMEOUT ? setImmediate(callback) : undefined;
              return handle;
            },
            clearTimeout: (handle) => {
              if (handle !== undefined) clearImmediate(handle as ReturnType<typeof setImmediate>);
            },
          },
          retry: false,
          ...(failingStore === undefined ? {} : { store: failingStore }),
          logger: { warn: (l) => lines.push(l), error: (l) => lines.push(l) },
          onEvent: (event) => events.push(event),
        });
        const outputs: string[] = [];
        const codes: unknown[] = [];
        for (let round = 0; round < 2; round++) {
          try {
            await auth.getToken();
          } catch (error) {
            codes.push((error as { code?: unknown }).code);
            outputs.push(
              String((error as Error).message),
              JSON.stringify(error),
              inspect(error, { depth: 6 }),
            );
          }
          now += 3_600_000;
        }
        outputs.push(
          JSON.stringify(events),
          JSON.stringify(auth.status()),
          inspect(auth),
          JSON.stringify(auth),
          ...lines,
        );
        await auth.close();
        // The failure this case is about did happen.
        const expected =
          c.place === 'timeout'
            ? 'TIMEOUT'
            : c.place === 'invalid-response'
              ? 'INVALID_RESPONSE'
              : c.place === 'network'
                ? 'NETWORK_ERROR'
                : undefined;
        if (expected !== undefined && !codes.includes(expected)) return false;
        const all = outputs.join('\n');
        for (const piece of pieces(secret)) {
          if (all.includes(piece)) return false;
        }
        return true;
      }),
      { numRuns: propertyRuns(300) },
    );
  });
});
