import type { IncomingMessage, ServerResponse } from 'node:http';
import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import { describe, expect, it } from 'vitest';
import {
  type GoToAuth,
  goToFetch,
  goToOriginMatcher,
  isGoToAuthError,
  isRejectedResponse,
} from '../src/index.js';
import { authNoFloor as auth, emulator, type Recorded, recorder, rejection } from './helpers.js';

const ME = '/admin/rest/v1/me';
const INVALID_TOKEN = JSON.stringify({ int_err_code: 'InvalidToken', msg: 'Invalid token passed' });

/** Answers 403 `InvalidToken` to the first request, then echoes the body with 200. */
function rejectFirst(
  _req: IncomingMessage,
  res: ServerResponse,
  _body: string,
  seen: Recorded[],
): void {
  if (seen.length === 1) {
    res.writeHead(403, { 'content-type': 'application/json' }).end(INVALID_TOKEN);
  } else {
    res.writeHead(200, { 'content-type': 'text/plain' }).end(seen.at(-1)?.body);
  }
}

async function bearer(a: GoToAuth): Promise<string> {
  return `Bearer ${(await a.getToken()).accessToken}`;
}

describe('goToFetch', () => {
  it('puts the token on requests to the GoTo origin and on no other origin', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const foreign = await recorder((_req, res) => res.end('{}'));
    const gotoFetch = goToFetch(a);

    const response = await gotoFetch(`${emu.url}${ME}`, {
      headers: { Authorization: 'Bearer caller-set' },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { organizerKey: string }).organizerKey).toBe(
      EMULATOR_DEFAULTS.organizerKey,
    );
    await gotoFetch(`${foreign.url}/hook`, { headers: { authorization: 'Basic theirs' } });
    await gotoFetch(new URL(`${foreign.url}/plain`));
    await gotoFetch(new Request(`${foreign.url}/request`));

    expect(foreign.received.map((r) => r.authorization)).toEqual([
      'Basic theirs',
      undefined,
      undefined,
    ]);
    expect(emu.counters.meRejected).toBe(0);
  });

  it('takes every form of input and headers fetch takes', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const gotoFetch = goToFetch(a);
    const url = `${emu.url}${ME}`;

    const statuses = await Promise.all([
      gotoFetch(url),
      gotoFetch(new URL(url)),
      gotoFetch(new Request(url)),
      gotoFetch(new Request(url), { headers: { accept: 'application/json' } }),
      gotoFetch(url, { headers: new Headers({ accept: 'application/json' }) }),
      gotoFetch(url, { headers: [['accept', 'application/json']] }),
      // Not normalized, but the same origin.
      gotoFetch(url.replace('http://', 'HTTP://')),
    ]).then((responses) => responses.map((r) => r.status));

    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200]);
    expect(emu.counters.meRejected).toBe(0);
  });

  it('leaves the caller’s Request without the token', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const request = new Request(`${emu.url}${ME}`);

    expect((await goToFetch(a)(request)).status).toBe(200);
    expect(request.headers.get('authorization')).toBeNull();
  });

  it('recovers 50 parallel calls from a revocation with exactly 1 new grant', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const gotoFetch = goToFetch(a);
    const before = await a.getToken();
    emu.reset();
    emu.revokeAll();

    const responses = await Promise.all(
      Array.from({ length: 50 }, () => gotoFetch(`${emu.url}${ME}`)),
    );

    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(emu.counters.passwordGrants + emu.counters.refreshGrants).toBe(1);
    expect(emu.counters.meRejected).toBe(50);
    expect(emu.counters.meCalls).toBe(100);
    expect((await a.getToken()).accessToken).not.toBe(before.accessToken);
  });

  it('gives the second rejection back after exactly 2 attempts', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const api = await recorder((_req, res) => {
      res.writeHead(401).end('nope');
    });

    const response = await goToFetch(a, { origins: [api.url] })(`${api.url}/x`);

    expect(response.status).toBe(401);
    expect(await response.text()).toBe('nope');
    expect(api.received).toHaveLength(2);
    expect(api.received[0]?.authorization).not.toBe(api.received[1]?.authorization);
    expect(api.received[1]?.authorization).toBe(await bearer(a));
  });

  it('does not take a 403 without InvalidToken, or with a huge body, as a rejection', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const big = JSON.stringify({ int_err_code: 'InvalidToken', pad: 'x'.repeat(200_000) });
    const api = await recorder((req, res) => {
      if (req.url === '/forbidden') res.writeHead(403).end('{"int_err_code":"NotAllowed"}');
      // Chunked: no Content-Length.
      else res.writeHead(403, { 'content-type': 'application/json' }).end(big);
    });
    const gotoFetch = goToFetch(a, { origins: [api.url] });
    const token = await a.getToken();

    const forbidden = await gotoFetch(`${api.url}/forbidden`);
    const huge = await gotoFetch(`${api.url}/huge`);

    expect(await forbidden.text()).toBe('{"int_err_code":"NotAllowed"}');
    expect(await huge.text()).toBe(big);
    expect(api.received).toHaveLength(2);
    expect((await a.getToken()).accessToken).toBe(token.accessToken);
  });

  it.each<[string, () => BodyInit]>([
    ['a string', () => 'a=1&b=2'],
    ['URLSearchParams', () => new URLSearchParams({ a: '1', b: '2' })],
    ['an ArrayBuffer', () => new TextEncoder().encode('a=1&b=2').buffer as ArrayBuffer],
    ['a typed array', () => new TextEncoder().encode('a=1&b=2')],
    ['a Blob', () => new Blob(['a=1&b=2'])],
  ])('retries with %s as body, sent again in full', async (_name, body) => {
    const emu = await emulator();
    const a = auth(emu);
    const api = await recorder(rejectFirst);

    const response = await goToFetch(a, { origins: [api.url] })(`${api.url}/post`, {
      method: 'POST',
      body: body(),
    });

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('a=1&b=2');
    expect(api.received.map((r) => r.body)).toEqual(['a=1&b=2', 'a=1&b=2']);
    expect(api.received[1]?.authorization).toBe(await bearer(a));
    expect(api.received[0]?.authorization).not.toBe(api.received[1]?.authorization);
  });

  it('retries with FormData and with a Request that has a body', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const form = await recorder(rejectFirst);
    const request = await recorder(rejectFirst);
    const data = new FormData();
    data.set('field', 'value');

    const fromForm = await goToFetch(a, { origins: [form.url] })(`${form.url}/form`, {
      method: 'POST',
      body: data,
    });
    const fromRequest = await goToFetch(a, { origins: [request.url] })(
      new Request(`${request.url}/request`, { method: 'PUT', body: '{"x":1}' }),
    );

    expect(fromForm.status).toBe(200);
    expect(form.received[1]?.body).toContain('name="field"');
    expect(form.received[1]?.body).toContain('value');
    expect(fromRequest.status).toBe(200);
    expect(request.received.map((r) => [r.method, r.body])).toEqual([
      ['PUT', '{"x":1}'],
      ['PUT', '{"x":1}'],
    ]);
    expect(request.received[1]?.authorization).toBe(await bearer(a));
  });

  it('gives a rejection of a one-shot stream body back as it is, and invalidates the token', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const api = await recorder(rejectFirst);
    const before = await a.getToken();
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('streamed'));
        controller.close();
      },
    });

    const response = await goToFetch(a, { origins: [api.url] })(`${api.url}/upload`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);

    expect(response.status).toBe(403);
    expect(await response.text()).toBe(INVALID_TOKEN);
    expect(api.received).toHaveLength(1);
    expect((await a.getToken()).accessToken).not.toBe(before.accessToken);
  });

  it('never lets the token follow a redirect to another origin', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const foreign = await recorder((_req, res) => {
      res.writeHead(401).end('who are you');
    });
    const api = await recorder((_req, res) => {
      res.writeHead(302, { location: `${foreign.url}/landing` }).end();
    });
    const before = await a.getToken();

    const response = await goToFetch(a, { origins: [api.url] })(`${api.url}/moved`);

    expect(response.status).toBe(401);
    expect(response.redirected).toBe(true);
    expect(api.received[0]?.authorization).toBe(`Bearer ${before.accessToken}`);
    expect(foreign.received).toHaveLength(1);
    expect(foreign.received[0]?.authorization).toBeUndefined();
    // The foreign 401 is not about our token: no invalidation, no retry.
    expect(api.received).toHaveLength(1);
    expect((await a.getToken()).accessToken).toBe(before.accessToken);
  });

  it('keeps the token on a redirect within the GoTo origin', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const api = await recorder((req, res) => {
      if (req.url === '/old') res.writeHead(307, { location: '/new' }).end();
      else res.end('ok');
    });

    const response = await goToFetch(a, { origins: [api.url] })(`${api.url}/old`);

    expect(await response.text()).toBe('ok');
    expect(api.received.map((r) => r.authorization)).toEqual([await bearer(a), await bearer(a)]);
  });

  it('rejects with the abort reason before, during and after the wait for a token', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const api = await recorder(rejectFirst);
    const reason = new Error('caller gave up');

    // Before: nothing is sent, not even a grant.
    const aborted = AbortSignal.abort(reason);
    expect(await rejection(goToFetch(a)(`${emu.url}${ME}`, { signal: aborted }))).toBe(reason);
    expect(emu.counters.passwordGrants).toBe(0);

    // During: the grant is slow and the caller leaves.
    emu.fault({ type: 'latency', ms: 10_000 });
    const during = new AbortController();
    const waiting = goToFetch(a)(`${emu.url}${ME}`, { signal: during.signal });
    during.abort(reason);
    expect(await rejection(waiting)).toBe(reason);
    emu.clearFaults();

    // Between the rejection and the retry.
    await a.getToken();
    const retry = new AbortController();
    const gotoFetch = goToFetch(a, {
      origins: [api.url],
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        // A copy detached from the signal, so only the retry sees the abort.
        const copy = new Response(await response.text(), response);
        retry.abort(reason);
        return copy;
      },
    });
    expect(await rejection(gotoFetch(`${api.url}/x`, { signal: retry.signal }))).toBe(reason);
    expect(api.received).toHaveLength(1);
  });

  it('rejects with GoToAuthError when no token can be had, and sends nothing', async () => {
    const emu = await emulator();
    const a = auth(emu, { password: 'wrong' });
    const api = await recorder((_req, res) => res.end());

    const error = await rejection(goToFetch(a, { origins: [api.url] })(`${api.url}/x`));

    expect(isGoToAuthError(error) && error.code).toBe('INVALID_CREDENTIALS');
    expect(api.received).toHaveLength(0);
  });

  it('calls the given fetch unbound', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const receivers: unknown[] = [];
    const gotoFetch = goToFetch(a, {
      fetch: function (this: unknown, input, init) {
        receivers.push(this);
        return fetch(input, init);
      },
    });

    await gotoFetch(`${emu.url}${ME}`);
    await gotoFetch(new Request(`${emu.url}${ME}`));

    expect(receivers).toEqual([undefined, undefined]);
  });

  it('passes runtime-only init members (Bun’s verbose) on beside a Request', async () => {
    const emu = await emulator();
    const a = auth(emu);
    const inits: Array<RequestInit | undefined> = [];
    const verbose = true;
    const gotoFetch = goToFetch(a, {
      fetch: (input, init) => {
        inits.push(init);
        return fetch(input);
      },
    });

    await gotoFetch(new Request(`${emu.url}${ME}`), { verbose } as RequestInit);
    await gotoFetch(new Request(`${emu.url}${ME}`), {
      verbose,
      headers: { accept: 'application/json' },
    } as RequestInit);
    await gotoFetch(new Request(`${emu.url}${ME}`), {});

    expect(inits).toEqual([{ verbose }, { verbose }, undefined]);
  });

  it('refuses origins that are http:// but not loopback', async () => {
    const emu = await emulator();
    const a = auth(emu);
    for (const origin of [
      'http://example.com',
      'http://api.getgo.com/x',
      'http://evil.localhost',
    ]) {
      const error = await rejection(
        Promise.resolve().then(() => goToFetch(a, { origins: [origin] })),
      );
      expect(isGoToAuthError(error) && error.code).toBe('INSECURE_ENDPOINT');
    }
    expect(() => goToFetch(a, { origins: ['not a url'] })).toThrow(/goToFetch: "origins"/);
    expect(() =>
      goToFetch(a, { origins: ['https://api.getgo.com', 'http://localhost:8080', 'http://[::1]'] }),
    ).not.toThrow();
  });
});

describe('goToOriginMatcher', () => {
  it('matches the configured origins only', () => {
    const isGoTo = goToOriginMatcher({ baseUrl: 'https://api.getgo.com' });

    expect(isGoTo('https://api.getgo.com/admin/rest/v1/me')).toBe(true);
    expect(isGoTo('https://api.getgo.com')).toBe(true);
    expect(isGoTo('HTTPS://API.GETGO.COM/x')).toBe(true);
    expect(isGoTo('https://api.getgo.com:443/x')).toBe(true);
    expect(isGoTo('https://api.getgo.com.evil.example/x')).toBe(false);
    expect(isGoTo('https://api.getgo.com:8443/x')).toBe(false);
    expect(isGoTo('http://api.getgo.com/x')).toBe(false);
    expect(isGoTo('https://evil.example/https://api.getgo.com/')).toBe(false);
    expect(isGoTo('/admin/rest/v1/me')).toBe(false);
  });
});

describe('isRejectedResponse', () => {
  it('reads at most about 64 KiB of a 403 body without Content-Length', async () => {
    const chunk = new Uint8Array(16_384).fill(32);
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        // 8 MiB in all, then a closing JSON object that would make it a rejection.
        if (pulled >= 8 * 1024 * 1024) {
          controller.enqueue(new TextEncoder().encode('{"int_err_code":"InvalidToken"}'));
          controller.close();
          return;
        }
        pulled += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const response = new Response(body, { status: 403 });

    expect(await isRejectedResponse(response)).toBe(false);
    expect(pulled).toBeLessThan(256 * 1024);
    // The caller's copy is intact.
    expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(8 * 1024 * 1024);
  });

  it('does not read a 403 body that declares more than 64 KiB', async () => {
    const text = JSON.stringify({ int_err_code: 'InvalidToken', pad: 'x'.repeat(70_000) });
    const response = new Response(text, {
      status: 403,
      headers: { 'content-length': String(text.length) },
    });

    expect(await isRejectedResponse(response)).toBe(false);
    expect(await response.text()).toBe(text);
  });

  it('tells 401 and 403 InvalidToken from other answers', async () => {
    expect(await isRejectedResponse(new Response(null, { status: 401 }))).toBe(true);
    expect(await isRejectedResponse(new Response(INVALID_TOKEN, { status: 403 }))).toBe(true);
    expect(await isRejectedResponse(new Response('{"int_err_code":"X"}', { status: 403 }))).toBe(
      false,
    );
    expect(await isRejectedResponse(new Response('not json', { status: 403 }))).toBe(false);
    expect(await isRejectedResponse(new Response(null, { status: 403 }))).toBe(false);
    expect(await isRejectedResponse(new Response(INVALID_TOKEN, { status: 200 }))).toBe(false);
  });
});
