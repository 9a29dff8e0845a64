/**
 * No error, event, log line, status or inspect/JSON output ever contains a piece of a secret,
 * wherever GoTo (or a store, or the network) puts it in what it says.
 */
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { createGoToAuth, type GoToAuthEvent, type TokenStore } from '../src/index.js';
import { NO_TIMERS } from './helpers.js';

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

type Place = 'error' | 'error_description' | 'html' | 'other-field' | 'network' | 'store';

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
    'store',
  ),
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
        const fetchStub = (async () => {
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
          timers: NO_TIMERS,
          retry: false,
          ...(failingStore === undefined ? {} : { store: failingStore }),
          logger: { warn: (l) => lines.push(l), error: (l) => lines.push(l) },
          onEvent: (event) => events.push(event),
        });
        const outputs: string[] = [];
        for (let round = 0; round < 2; round++) {
          try {
            await auth.getToken();
          } catch (error) {
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
        const all = outputs.join('\n');
        for (const piece of pieces(secret)) {
          if (all.includes(piece)) return false;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});
