/**
 * goToFetch's choices with a stub `fetch` on both sides: what it sends, what it passes on,
 * when it retries, and what it leaves alone. No HTTP.
 */
import { describe, expect, it } from 'vitest';
import { createGoToAuth, goToFetch, goToOriginMatcher, isRejectedResponse } from '../src/index.js';
import { countingTokens } from './helpers.js';

const API = 'https://api.getgo.com';
const INVALID_TOKEN = JSON.stringify({ int_err_code: 'InvalidToken' });

const tokens = countingTokens;

type Sent = { input: RequestInfo | URL; init: RequestInit | undefined; auth: string | null };

/** A `fetch` that records what it was given and answers from a list (the last one repeats). */
function api(...answers: (() => Response)[]) {
  const sent: Sent[] = [];
  const send = async (input: RequestInfo | URL, init?: RequestInit) => {
    const headers =
      input instanceof Request ? input.headers : new Headers(init?.headers ?? undefined);
    sent.push({ input, init, auth: headers.get('authorization') });
    const answer = answers[Math.min(sent.length - 1, answers.length - 1)];
    return answer === undefined ? new Response('ok') : answer();
  };
  return { sent, send };
}

const rejection = () => new Response(INVALID_TOKEN, { status: 403 });

describe('goToFetch with a Request', () => {
  it('treats every standard RequestInit member as the Request’s, passing none on', async () => {
    const { sent, send } = api();
    const gotoFetch = goToFetch(tokens(), { fetch: send });
    const init = {
      method: 'GET',
      headers: { accept: 'text/plain' },
      body: undefined,
      mode: 'cors',
      credentials: 'same-origin',
      cache: 'default',
      redirect: 'follow',
      referrer: '',
      referrerPolicy: '',
      integrity: '',
      keepalive: false,
      signal: undefined,
      window: null,
      duplex: 'half',
      priority: 'auto',
    } as RequestInit;
    await gotoFetch(new Request(`${API}/x`), init);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.init).toBeUndefined();
    expect((sent[0]?.input as Request | undefined)?.headers.get('accept')).toBe('text/plain');
    expect(sent[0]?.auth).toBe('Bearer t1');
  });

  it('applies init to its copy of the Request, and keeps the caller’s Request as it was', async () => {
    const { sent, send } = api();
    const gotoFetch = goToFetch(tokens(), { fetch: send });
    const original = new Request(`${API}/x`, { headers: { 'x-a': '1' } });
    await gotoFetch(original, { headers: { 'x-b': '2' } });
    await gotoFetch(original, { method: 'POST' });
    const [first, second] = sent.map((s) => s.input as Request);
    expect(first?.headers.get('x-b')).toBe('2');
    expect(first?.headers.get('x-a')).toBeNull();
    expect(second?.method).toBe('POST');
    expect(second?.headers.get('x-a')).toBe('1');
    expect(original.headers.get('authorization')).toBeNull();
    expect(first).not.toBe(original);
  });

  it('passes a Request to another origin on untouched, init included', async () => {
    const { sent, send } = api();
    const gotoFetch = goToFetch(tokens(), { fetch: send });
    const request = new Request('https://other.example/x');
    const init = { headers: { 'x-a': '1' } };
    await gotoFetch(request, init);
    expect(sent[0]?.input).toBe(request);
    expect(sent[0]?.init).toBe(init);
    expect(sent[0]?.auth).toBeNull();
  });

  it('retries a rejected Request with a body once, with the new token and the same body', async () => {
    const bodies: string[] = [];
    const sent: string[] = [];
    const gotoFetch = goToFetch(tokens(), {
      fetch: async (input) => {
        const request = input as Request;
        sent.push(request.headers.get('authorization') ?? '');
        bodies.push(await request.text());
        return sent.length === 1 ? rejection() : new Response('ok');
      },
    });
    const response = await gotoFetch(new Request(`${API}/x`, { method: 'PUT', body: 'data' }));
    expect(response.status).toBe(200);
    expect(sent).toEqual(['Bearer t1', 'Bearer t2']);
    expect(bodies).toEqual(['data', 'data']);
  });

  it('retries a rejected Request without a body, and gives back other answers at once', async () => {
    for (const [status, body, expected] of [
      [401, '', 2],
      [403, INVALID_TOKEN, 2],
      [403, '{"int_err_code":"Other"}', 1],
      [404, INVALID_TOKEN, 1],
      [400, '', 1],
    ] as const) {
      const { sent, send } = api(() => new Response(body, { status }));
      await goToFetch(tokens(), { fetch: send })(new Request(`${API}/x`));
      expect([status, body, sent.length]).toEqual([status, body, expected]);
    }
  });

  it('gives a rejected one-shot stream back as it is', async () => {
    const { sent, send } = api(rejection);
    const a = tokens();
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('x'));
        controller.close();
      },
    });
    const response = await goToFetch(a, { fetch: send })(new Request(`${API}/x`), {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(403);
    expect(sent).toHaveLength(1);
    // The token was still dropped: the next call gets a new one.
    expect((await a.getToken()).accessToken).toBe('t2');
  });

  it('keeps the caller’s signal on the retry', async () => {
    const signals: (AbortSignal | null)[] = [];
    const controller = new AbortController();
    const gotoFetch = goToFetch(tokens(), {
      fetch: async (input) => {
        signals.push((input as Request).signal);
        return signals.length === 1 ? rejection() : new Response('ok');
      },
    });
    await gotoFetch(new Request(`${API}/x`, { signal: controller.signal }));
    controller.abort();
    expect(signals).toHaveLength(2);
    expect(signals.every((signal) => signal?.aborted)).toBe(true);
  });
});

describe('goToFetch with a URL', () => {
  it('adds the token to no headers, to a Headers object and to an array, replacing any other', async () => {
    const { sent, send } = api();
    const gotoFetch = goToFetch(tokens(), { fetch: send });
    await gotoFetch(`${API}/x`);
    await gotoFetch(`${API}/x`, { headers: new Headers({ Authorization: 'Basic x', 'x-a': '1' }) });
    await gotoFetch(new URL(`${API}/x`), { headers: [['x-b', '2']] });
    expect(sent.map((s) => s.auth)).toEqual(['Bearer t1', 'Bearer t1', 'Bearer t1']);
    expect(sent[0]?.init).toEqual({ headers: { authorization: 'Bearer t1' } });
    expect(new Headers(sent[1]?.init?.headers).get('x-a')).toBe('1');
    expect(new Headers(sent[2]?.init?.headers).get('x-b')).toBe('2');
  });

  it('passes other origins on with the caller’s init, untouched', async () => {
    const { sent, send } = api(rejection);
    const init = { headers: { 'x-a': '1' } };
    await goToFetch(tokens(), { fetch: send })('https://other.example/x', init);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.init).toBe(init);
  });

  it('retries a 401 once and gives back the second answer whatever it is', async () => {
    const { sent, send } = api(
      () => new Response('', { status: 401 }),
      () => new Response('', { status: 401 }),
    );
    const response = await goToFetch(tokens(), { fetch: send })(`${API}/x`, { method: 'DELETE' });
    expect(response.status).toBe(401);
    expect(sent.map((s) => s.auth)).toEqual(['Bearer t1', 'Bearer t2']);
    expect(sent[1]?.init?.method).toBe('DELETE');
  });

  it('uses the global fetch by default', async () => {
    const { sent, send } = api();
    const saved = globalThis.fetch;
    globalThis.fetch = send as typeof fetch;
    try {
      await goToFetch(tokens())(`${API}/x`);
    } finally {
      globalThis.fetch = saved;
    }
    expect(sent).toHaveLength(1);
  });

  it('rejects with the abort reason while it waits for a token', async () => {
    let release: (() => void) | undefined;
    const slow = createGoToAuth({
      clientId: 'c',
      userId: 'u',
      password: 'p',
      logger: false,
      fetch: (async () => {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return Response.json({ access_token: 't', expires_in: 3600 });
      }) as unknown as typeof fetch,
    });
    const { sent, send } = api();
    const controller = new AbortController();
    const pending = goToFetch(slow, { fetch: send })(`${API}/x`, { signal: controller.signal });
    const reason = new Error('stop');
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    release?.();
    expect(sent).toHaveLength(0);
    await slow.close();
  });
});

describe('goToOriginMatcher', () => {
  it('names the caller in its errors, and matches each configured origin', () => {
    expect(() => goToOriginMatcher({ baseUrl: API }, ['nope'])).toThrow(
      expect.objectContaining({ message: 'origins: "origins" is not a valid URL.' }),
    );
    const isGoTo = goToOriginMatcher({ baseUrl: API }, [
      'https://a.example/path',
      'http://127.0.0.1:8080',
    ]);
    expect(isGoTo('https://a.example/x')).toBe(true);
    expect(isGoTo('http://127.0.0.1:8080/x')).toBe(true);
    expect(isGoTo('http://127.0.0.1:8080')).toBe(true);
    expect(isGoTo(`${API}/x`)).toBe(false);
  });
});

describe('isRejectedResponse', () => {
  it('leaves the original body whole for the caller', async () => {
    const response = new Response(INVALID_TOKEN, { status: 403 });
    expect(await isRejectedResponse(response)).toBe(true);
    expect(await response.text()).toBe(INVALID_TOKEN);
  });

  it('does not read a 403 whose Content-Length is over 64 KiB, and reads one of exactly 64 KiB', async () => {
    const padded = (size: number) => {
      const body = `{"int_err_code":"InvalidToken","pad":"${'x'.repeat(size - 40)}"}`;
      return new Response(body, {
        status: 403,
        headers: { 'content-length': String(body.length) },
      });
    };
    expect((await padded(65_536).clone().text()).length).toBe(65_536);
    expect(await isRejectedResponse(padded(65_536))).toBe(true);
    expect(await isRejectedResponse(padded(65_537))).toBe(false);
  });

  it('reads a body that arrives in several chunks', async () => {
    const chunks = ['{"int_err_', 'code":"Inval', 'idToken"}'];
    const stream = new ReadableStream({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
        controller.close();
      },
    });
    expect(await isRejectedResponse(new Response(stream, { status: 403 }))).toBe(true);
  });
});
