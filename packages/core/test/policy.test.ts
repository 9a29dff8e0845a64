/**
 * Retry timing, cool-downs, single flight counted directly, and the problem+json mapping.
 */
import { describe, expect, it } from 'vitest';
import { problemResponder, toProblem } from '../src/http.js';
import {
  createGoToAuth,
  GoToAuthError,
  type GoToAuthErrorCode,
  type TokenStore,
} from '../src/index.js';
import { backoff, cooldown } from '../src/policy.js';
import { auth, emulator } from './helpers.js';

const RETRY = { limit: 3, baseDelay: 100, maxDelay: 1000 };

describe('backoff', () => {
  it('doubles a capped step and waits between half and all of it (equal jitter)', () => {
    const error = new GoToAuthError('SERVER_ERROR', 'x');
    expect([1, 2, 3, 4, 5].map((n) => backoff(n, error, RETRY, () => 0))).toEqual([
      50, 100, 200, 400, 500,
    ]);
    expect([1, 2, 3, 4, 5].map((n) => backoff(n, error, RETRY, () => 0.999_999))).toEqual(
      [100, 200, 400, 800, 1000].map((ms) => expect.closeTo(ms, 0)),
    );
  });

  it('waits at least Retry-After, and gives up when Retry-After exceeds maxDelay', () => {
    const soon = new GoToAuthError('RATE_LIMITED', 'x', { retryAfter: 700 });
    expect(backoff(1, soon, RETRY, () => 0)).toBe(700);
    const late = new GoToAuthError('RATE_LIMITED', 'x', { retryAfter: 1001 });
    expect(backoff(1, late, RETRY, () => 0)).toBeUndefined();
    const atCap = new GoToAuthError('RATE_LIMITED', 'x', { retryAfter: 1000 });
    expect(backoff(1, atCap, RETRY, () => 0)).toBe(1000);
  });

  it('never retries what is not transient', () => {
    for (const code of ['INVALID_CREDENTIALS', 'INVALID_CLIENT', 'UNEXPECTED_ERROR'] as const) {
      expect(backoff(1, new GoToAuthError(code, 'x'), RETRY)).toBeUndefined();
    }
  });
});

describe('cooldown', () => {
  it('doubles from 30 s to 30 min for refusals, never below minGrantInterval', () => {
    const refused = new GoToAuthError('INVALID_CREDENTIALS', 'x');
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => cooldown(refused, 1, n, RETRY, 5000))).toEqual([
      30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_800_000, 1_800_000,
    ]);
    expect(cooldown(refused, 1, 1, RETRY, 45_000)).toBe(45_000);
  });

  it('waits the next backoff step, or Retry-After when longer, after transient trouble', () => {
    const down = new GoToAuthError('SERVER_ERROR', 'x');
    expect(cooldown(down, 2, 0, RETRY, 5000)).toBe(400);
    expect(cooldown(down, 9, 0, RETRY, 5000)).toBe(1000);
    const limited = new GoToAuthError('RATE_LIMITED', 'x', { retryAfter: 60_000 });
    expect(cooldown(limited, 1, 0, RETRY, 5000)).toBe(60_000);
  });
});

describe('the manager with a long Retry-After', () => {
  it('ends the retries at once and reports RATE_LIMITED with the wait', async () => {
    const emu = await emulator();
    emu.fault({ type: 'rate-limit', retryAfterSeconds: 60 }, { times: 5 });
    const a = auth(emu, { retry: { limit: 3, baseDelay: 1, maxDelay: 1000 } });
    const error = (await a.getToken().catch((e: unknown) => e)) as GoToAuthError;
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.retryAfter).toBe(60_000);
    expect(emu.counters.requests).toBe(1);
    // And no new attempt before GoTo's wait is over.
    expect(((await a.getToken().catch((e: unknown) => e)) as GoToAuthError).code).toBe(
      'RATE_LIMITED',
    );
    expect(emu.counters.requests).toBe(1);
  });
});

describe('single flight', () => {
  it('sends one grant for 500 concurrent callers even when the store would let everyone lock', async () => {
    let fetches = 0;
    let locks = 0;
    const lenient: TokenStore = {
      get: async () => undefined,
      set: async () => 1,
      delete: async () => {},
      lock: async () => {
        locks++;
        return { release: async () => {} };
      },
    };
    const a = createGoToAuth({
      clientId: 'c',
      userId: 'u',
      password: 'p',
      store: lenient,
      logger: false,
      fetch: (async () => {
        fetches++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        return Response.json({ access_token: 'one', expires_in: 3600 });
      }) as typeof fetch,
    });
    const tokens = await Promise.all(Array.from({ length: 500 }, () => a.getToken()));
    await a.close();
    expect(new Set(tokens.map((t) => t.accessToken))).toEqual(new Set(['one']));
    expect(fetches).toBe(1);
    expect(locks).toBe(1);
  });
});

describe('toProblem', () => {
  const cases: [GoToAuthErrorCode, number, number | undefined][] = [
    ['RATE_LIMITED', 503, 5],
    ['SERVER_ERROR', 503, 5],
    ['NETWORK_ERROR', 503, 5],
    ['TIMEOUT', 503, 5],
    ['STORE_ERROR', 503, 5],
    ['ABORTED', 503, 5],
    ['CLOSED', 503, 5],
    ['INVALID_RESPONSE', 502, undefined],
    ['INVALID_CREDENTIALS', 500, undefined],
    ['INVALID_CLIENT', 500, undefined],
    ['INVALID_REQUEST', 500, undefined],
    ['REFRESH_TOKEN_REJECTED', 500, undefined],
    ['INSECURE_ENDPOINT', 500, undefined],
    ['INVALID_OPTIONS', 500, undefined],
    ['UNEXPECTED_ERROR', 500, undefined],
  ];
  it.each(cases)('answers %s with %i', (code, status, retryAfter) => {
    const problem = toProblem(new GoToAuthError(code, 'secret-free message'));
    expect(problem.status).toBe(status);
    expect(problem.retryAfter).toBe(retryAfter);
    expect(problem.body).toMatchObject({
      type: `https://goto-auth.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`,
      status,
      code,
    });
    expect(problem.body.title.length).toBeGreaterThan(0);
    expect(JSON.stringify(problem)).not.toContain('secret-free message');
  });

  it('rounds Retry-After up to whole seconds, at least 1', () => {
    const limited = (ms: number) =>
      toProblem(new GoToAuthError('RATE_LIMITED', 'x', { retryAfter: ms })).retryAfter;
    expect([1, 999, 1000, 1001, 0].map(limited)).toEqual([1, 1, 1, 2, 1]);
  });

  it('answers anything that is not a GoToAuthError as a 500 without detail', () => {
    const problem = toProblem(new Error('password=hunter2'));
    expect(problem.status).toBe(500);
    expect(JSON.stringify(problem)).not.toContain('hunter2');
  });

  it('gives the headers to send: problem+json, no-store, and Retry-After when set', () => {
    expect(toProblem(new GoToAuthError('RATE_LIMITED', 'x', { retryAfter: 7000 })).headers).toEqual(
      {
        'content-type': 'application/problem+json',
        'cache-control': 'no-store',
        'retry-after': '7',
      },
    );
    expect(toProblem(new GoToAuthError('INVALID_CLIENT', 'x')).headers).toEqual({
      'content-type': 'application/problem+json',
      'cache-control': 'no-store',
    });
  });
});

describe('problemResponder', () => {
  it('logs a configuration error once per code until a token is served again', () => {
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);
    const responder = problemResponder('test');
    const wrong = new GoToAuthError('INVALID_CREDENTIALS', 'GoTo refused the password');
    expect(responder.answer(wrong, 'GET /a', log).status).toBe(500);
    responder.answer(wrong, 'GET /b', log);
    responder.answer(new GoToAuthError('NETWORK_ERROR', 'down'), 'GET /c', log);
    expect(lines).toEqual([
      '[goto-auth/test] INVALID_CREDENTIALS: cannot get a GoTo token (GoTo refused the password). Answering 500 on GET /a until the configuration is fixed.',
    ]);
    responder.served();
    responder.answer(new Error('password=hunter2'), 'GET /d', log);
    expect(lines[1]).toBe(
      '[goto-auth/test] UNEXPECTED_ERROR: cannot get a GoTo token (unexpected Error). Answering 500 on GET /d until the configuration is fixed.',
    );
  });
});
