/**
 * Edge cases of the small helpers, each one a way a plausible slip would change what a caller
 * sees.
 */
import { describe, expect, it } from 'vitest';
import { processTokenResponse, redact } from '../src/grant.js';
import { GoToAuthError, goToFetch, normalizeTokenResponse } from '../src/index.js';
import { resolveOptions } from '../src/options.js';
import { parseRetryAfter } from '../src/retry-after.js';
import { keepAlive, sleep } from '../src/timers.js';
import { countingTokens } from './helpers.js';

const options = resolveOptions({ clientId: 'c', userId: 'u', password: 'p', logger: false });
const password = { type: 'password' } as const;
const outcome = (response: Response) =>
  processTokenResponse(response, password, options, 0, []).catch((e: unknown) => e);

describe('reading token answers', () => {
  it('takes a missing body as not JSON, and a declared oversize body as too large', async () => {
    expect(await outcome(new Response(null))).toMatchObject({
      code: 'INVALID_RESPONSE',
      message: "GoTo's token response is not JSON.",
    });
    expect(
      await outcome(new Response(null, { headers: { 'content-length': '100000' } })),
    ).toMatchObject({
      code: 'INVALID_RESPONSE',
      message: "GoTo's token endpoint answered with a body larger than 65536 bytes.",
    });
    const small = { ...options, maxResponseBytes: 10 };
    const declared = await processTokenResponse(
      new Response('{"access_token":"a"}', { headers: { 'content-length': '20' } }),
      password,
      small,
      0,
      [],
    ).catch((e: unknown) => e);
    expect(declared).toMatchObject({ code: 'INVALID_RESPONSE' });
  });

  it('does not count a null or blank field as dropped', async () => {
    const parsed = await processTokenResponse(
      Response.json({ access_token: 'a', email: null, platform: '', scope: { a: 1 } }),
      password,
      options,
      0,
      [],
    );
    expect(parsed.dropped).toEqual(['scope']);
  });

  it('keeps what GoTo said when its error is not a string', async () => {
    const error = await outcome(
      Response.json({ error: 5, error_description: 'plain words' }, { status: 400 }),
    );
    expect(error).toMatchObject({
      oauthError: undefined,
      message: "GoTo's token endpoint refused the request (HTTP 400): plain words.",
    });
  });
});

describe('normalizeTokenResponse edges', () => {
  it('reads null and spaced expires_in, and refuses zero', () => {
    expect(normalizeTokenResponse({ access_token: 'a', expires_in: null }, 0).expiresAt).toBe(
      3_600_000,
    );
    expect(normalizeTokenResponse({ access_token: 'a', expires_in: ' 60 ' }, 0).expiresAt).toBe(
      60_000,
    );
    for (const zero of [0, '0']) {
      expect(() => normalizeTokenResponse({ access_token: 'a', expires_in: zero }, 0)).toThrow(
        expect.objectContaining({ code: 'INVALID_RESPONSE' }),
      );
    }
  });

  it('forgives a trailing comma only at the very end', () => {
    expect(() => normalizeTokenResponse('{"a":{"b":1,},"access_token":"x"}', 0)).toThrow(
      expect.objectContaining({ code: 'INVALID_RESPONSE' }),
    );
  });

  it('lists only its fields to for…in', () => {
    const token = normalizeTokenResponse({ access_token: 'a' }, 0);
    const keys: string[] = [];
    for (const key in token) keys.push(key);
    expect(keys).toEqual(Object.keys(token));
    expect(keys).not.toContain('toJSON');
  });
});

describe('redact edges', () => {
  it('skips absent secrets', () => {
    expect(redact('undefined value', [undefined])).toBe('undefined value');
    expect(redact('abc', [''])).toBe('abc');
  });
});

describe('errors spread into a log object', () => {
  it('carry no hidden members', () => {
    const error = new GoToAuthError('TIMEOUT', 'x', { response: new Response('') });
    const spread = { ...error };
    expect(Object.getOwnPropertySymbols(spread)).toEqual([]);
    expect(spread).not.toHaveProperty('response');
  });
});

describe('parseRetryAfter', () => {
  it('reads only HTTP dates, not ISO timestamps', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(parseRetryAfter('2026-01-01T00:00:30Z', now)).toBeUndefined();
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
  });
});

describe('timers edges', () => {
  it('unrefs nothing when there is no handle', () => {
    expect(() => keepAlive(undefined, false)).not.toThrow();
    expect(() => keepAlive({}, false)).not.toThrow();
    expect(() => keepAlive({}, true)).not.toThrow();
  });

  it('sleeps without a start callback', async () => {
    let fire: (() => void) | undefined;
    const waiting = sleep(
      {
        setTimeout: (callback) => {
          fire = callback;
          return 1;
        },
        clearTimeout: () => {},
      },
      10,
      new AbortController().signal,
    );
    fire?.();
    await expect(waiting).resolves.toBeUndefined();
    const controller = new AbortController();
    const aborted = sleep({ setTimeout: () => 1, clearTimeout: () => {} }, 10, controller.signal);
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
  });
});

describe('goToFetch bodies', () => {
  const tokens = countingTokens;
  const rejectFirst = () => {
    let calls = 0;
    const sent: (BodyInit | null | undefined)[] = [];
    const send = async (_input: RequestInfo | URL, init?: RequestInit) => {
      sent.push(init?.body);
      return ++calls === 1 ? new Response('', { status: 401 }) : new Response('ok');
    };
    return { send, sent };
  };

  it('retries a call whose body is null', async () => {
    const { send, sent } = rejectFirst();
    const response = await goToFetch(tokens(), { fetch: send })('https://api.getgo.com/x', {
      method: 'POST',
      body: null,
    });
    expect(response.status).toBe(200);
    expect(sent).toHaveLength(2);
  });

  it('gives the rejection of a stream body back without a retry', async () => {
    const { send, sent } = rejectFirst();
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('x'));
        controller.close();
      },
    });
    const response = await goToFetch(tokens(), { fetch: send })('https://api.getgo.com/x', {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(401);
    expect(sent).toHaveLength(1);
  });
});
