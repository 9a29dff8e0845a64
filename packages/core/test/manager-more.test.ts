/**
 * More of the manager's observable choices: which waits keep a process alive, why each
 * refresh ran, the contention warning, aborts, bugs and the refresh-token fallback.
 */
import { describe, expect, it } from 'vitest';
import {
  createGoToAuth,
  type GoToAuthEvent,
  type GoToAuthOptions,
  type TimerProvider,
} from '../src/index.js';
import { ManualClock, STUB_CREDENTIALS, settle, until } from './helpers.js';

const START = Date.UTC(2026, 0, 1);

/** A manual clock whose handles record whether they were made to hold the process open. */
class RefClock extends ManualClock {
  readonly handles = new Map<number, { refs: number; unrefs: number }>();
  override setTimeout(callback: () => void, ms: number): number {
    const id = super.setTimeout(callback, ms);
    this.handles.set(id, { refs: 0, unrefs: 0 });
    return id;
  }
  /** Handles are objects with ref/unref, as Node's are. */
  readonly provider: TimerProvider = {
    setTimeout: (callback, ms) => {
      const id = this.setTimeout(callback, ms);
      const record = this.handles.get(id);
      return {
        id,
        ref: () => {
          if (record) record.refs++;
        },
        unref: () => {
          if (record) record.unrefs++;
        },
      };
    },
    clearTimeout: (handle) => this.clearTimeout((handle as { id: number } | undefined)?.id),
  };
  refs(): number {
    return [...this.handles.values()].reduce((sum, h) => sum + h.refs, 0);
  }
}

function setup(answers: (() => Response)[], options: Partial<GoToAuthOptions> = {}) {
  const clock = new RefClock(START);
  const events: GoToAuthEvent[] = [];
  const logs: string[] = [];
  let n = 0;
  const bodies: string[] = [];
  const auth = createGoToAuth({
    ...STUB_CREDENTIALS,
    now: clock.now,
    timers: clock.provider,
    retry: { limit: 3, baseDelay: 100, maxDelay: 1000 },
    minGrantInterval: 0,
    logger: { warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    onEvent: (e) => events.push(e),
    fetch: (async (_url: string, init: RequestInit) => {
      bodies.push(String(init.body));
      const answer = answers[Math.min(n++, answers.length - 1)];
      return answer === undefined
        ? Response.json({ access_token: `t${n}`, expires_in: 3600, refresh_token: `r${n}` })
        : answer();
    }) as unknown as typeof fetch,
    ...options,
  });
  return { auth, clock, events, logs, bodies };
}

const down = () => new Response('', { status: 503 });

describe('waits that keep the process alive', () => {
  it('holds the process open for a back-off only while a caller waits', async () => {
    const { auth, clock, events } = setup([down, down, () => Response.json({ access_token: 'a' })]);
    const waiting = auth.getToken();
    await until(() => events.some((e) => e.type === 'refresh-failed'));
    expect(clock.refs()).toBe(1);
    clock.advance(1000);
    await until(() => events.filter((e) => e.type === 'refresh-failed').length === 2);
    expect(clock.refs()).toBe(2);
    clock.advance(1000);
    await waiting;
  });

  it('does not hold it open for a timer-started refresh, until a caller arrives', async () => {
    const { auth, clock, events } = setup(
      [
        () => Response.json({ access_token: 'a', expires_in: 600 }),
        down,
        () => Response.json({ access_token: 'b', expires_in: 600 }),
      ],
      // A back-off of 200 to 400 s: it outlasts the old token.
      { retry: { limit: 3, baseDelay: 400_000, maxDelay: 400_000 } },
    );
    await auth.getToken();
    const before = clock.refs();
    clock.advance(450_000); // the refresh timer; its first attempt fails
    await until(() => events.some((e) => e.type === 'refresh-failed'));
    expect(clock.refs()).toBe(before);
    // The old token still serves: a caller takes it and does not wait on the refresh.
    expect((await auth.getToken()).accessToken).toBe('a');
    expect(clock.refs()).toBe(before);
    // Once the old token is gone, a caller waits on the back-off: now it holds the process.
    clock.advance(150_000);
    const waiting = auth.getToken();
    expect(clock.refs()).toBe(before + 1);
    clock.advance(400_000);
    expect((await waiting).accessToken).toBe('b');
  });
});

describe('why a refresh ran', () => {
  it('says initial, scheduled, expired and rejected', async () => {
    const { auth, clock, events } = setup(
      [
        () => Response.json({ access_token: 'a', expires_in: 600 }),
        () => Response.json({ access_token: 'b', expires_in: 600 }),
        () => Response.json({ access_token: 'c', expires_in: 600 }),
        () => Response.json({ access_token: 'd', expires_in: 600 }),
      ],
      { timers: { setTimeout: () => 0, clearTimeout: () => {} } },
    );
    await auth.getToken();
    clock.advance(450_000); // due, not expired (no timer fires: timers are off)
    await auth.getToken();
    clock.advance(600_000); // expired
    await auth.getToken();
    auth.invalidate((await auth.getToken()).accessToken);
    await auth.getToken();
    expect(
      events.filter((e) => e.type === 'token').map((e) => (e as { reason: string }).reason),
    ).toEqual(['initial', 'scheduled', 'expired', 'rejected']);
  });

  it('counts a token as expired at its expiry exactly', async () => {
    const { auth, clock, events } = setup([], {
      timers: { setTimeout: () => 0, clearTimeout: () => {} },
    });
    const first = await auth.getToken();
    clock.advance(first.expiresAt - clock.now());
    await auth.getToken();
    expect(events.filter((e) => e.type === 'token').at(-1)).toMatchObject({ reason: 'expired' });
  });
});

describe('the contention warning', () => {
  const rejectQuickly = async (
    times: number,
    ageMs: number,
    options: Partial<GoToAuthOptions> = {},
  ) => {
    const s = setup([], { timers: { setTimeout: () => 0, clearTimeout: () => {} }, ...options });
    for (let i = 0; i < times; i++) {
      const token = await s.auth.getToken();
      s.clock.advance(ageMs);
      s.auth.invalidate(token.accessToken);
    }
    return s;
  };

  it('warns after 3 rejections in a row within 60 s of minting, with the numbers', async () => {
    expect((await rejectQuickly(2, 1000)).events.filter((e) => e.type === 'warning')).toHaveLength(
      0,
    );
    const { events, logs } = await rejectQuickly(3, 59_999);
    const warnings = events.filter((e) => e.type === 'warning');
    expect(warnings).toHaveLength(1);
    expect((warnings[0] as { message: string }).message).toMatch(
      /^GoTo rejected 3 tokens in a row within 60 s of minting: another client/,
    );
    expect(logs[0]).toMatch(/^\[goto-auth\] CREDENTIALS_CONTENDED: GoTo rejected 3 tokens/);
    expect(
      (await rejectQuickly(3, 60_000)).events.filter((e) => e.type === 'warning'),
    ).toHaveLength(0);
  });

  it('warns at most every 5 minutes', async () => {
    const s = await rejectQuickly(3, 1000);
    for (let i = 0; i < 3; i++) {
      const token = await s.auth.getToken();
      s.clock.advance(1000);
      s.auth.invalidate(token.accessToken);
    }
    expect(s.events.filter((e) => e.type === 'warning')).toHaveLength(1);
    s.clock.advance(297_000); // 300 s after the first warning
    const token = await s.auth.getToken();
    s.auth.invalidate(token.accessToken);
    const warnings = s.events.filter((e) => e.type === 'warning');
    expect(warnings).toHaveLength(2);
    expect((warnings[1] as { message: string }).message).toMatch(/^GoTo rejected 7 tokens/);
  });

  it('forgets a rejected token after 8 newer rejections', async () => {
    const s = setup([], { timers: { setTimeout: () => 0, clearTimeout: () => {} } });
    const first = await s.auth.getToken();
    s.auth.invalidate(first.accessToken);
    for (let i = 0; i < 7; i++) s.auth.invalidate((await s.auth.getToken()).accessToken);
    // Eight remembered: the first is still refused.
    expect(s.auth.invalidate(first.accessToken)).toBe(false);
    s.auth.invalidate((await s.auth.getToken()).accessToken);
    expect(s.auth.status().serving).toBe(false);
  });
});

describe('aborts', () => {
  it('rejects an aborted caller with ABORTED and the reason as cause, at once or later', async () => {
    const { auth, clock } = setup([down, () => Response.json({ access_token: 'a' })]);
    const reason = new Error('gone');
    await expect(auth.getToken({ signal: AbortSignal.abort(reason) })).rejects.toMatchObject({
      code: 'ABORTED',
      message: 'The wait for a GoTo token was aborted.',
      cause: reason,
    });
    const controller = new AbortController();
    const waiting = auth.getToken({ signal: controller.signal });
    controller.abort(reason);
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED', cause: reason });
    // A second abort event after the first changes nothing; the others still get the token.
    controller.signal.dispatchEvent(new Event('abort'));
    const other = auth.getToken();
    // The back-off timer is set some turns later on a busy machine: move the clock until the
    // retry has run, rather than once after a fixed number of turns.
    let done = false;
    other.then(
      () => {
        done = true;
      },
      () => {
        done = true;
      },
    );
    for (let turn = 0; turn < 200 && !done; turn++) {
      await settle(5);
      clock.advance(1000);
    }
    expect((await other).accessToken).toBe('a');
  });

  it('passes a refusal on to a caller with a signal', async () => {
    const { auth } = setup([() => new Response('', { status: 401 })]);
    const controller = new AbortController();
    await expect(auth.getToken({ signal: controller.signal })).rejects.toMatchObject({
      code: 'INVALID_CLIENT',
    });
  });
});

describe('bugs', () => {
  it('reports a store that throws a TypeError as UNEXPECTED_ERROR with its cause', async () => {
    const bug = new TypeError('store.get is broken');
    const { auth } = setup([], {
      store: {
        get: async () => {
          throw bug;
        },
        set: async () => 1,
        delete: async () => {},
        lock: async () => ({ release: async () => {} }),
      },
    });
    const error = (await auth.getToken().catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({
      code: 'UNEXPECTED_ERROR',
      message: 'The token store failed on get (TypeError: store.get is broken).',
    });
    expect(error.cause).toBe(bug);
  });

  it.each([
    [new RangeError('r'), 'UNEXPECTED_ERROR'],
    [new ReferenceError('r'), 'UNEXPECTED_ERROR'],
    [new SyntaxError('r'), 'UNEXPECTED_ERROR'],
    [new Error('r'), 'STORE_ERROR'],
  ])('takes a store throwing %s for %s', async (thrown, code) => {
    const { auth } = setup([], {
      retry: false,
      store: {
        get: async () => {
          throw thrown;
        },
        set: async () => 1,
        delete: async () => {},
        lock: async () => ({ release: async () => {} }),
      },
    });
    await expect(auth.getToken()).rejects.toMatchObject({ code });
  });

  it('turns a listener-free throw inside the manager into UNEXPECTED_ERROR naming it', async () => {
    const { auth } = setup([], {
      retry: false,
      store: {
        get: async () => undefined,
        set: async () => 1,
        delete: async () => {},
        lock: async () => {
          throw Object.assign(new TypeError('lock is broken'), { stack: undefined });
        },
      },
    });
    const error = (await auth.getToken().catch((e: unknown) => e)) as Error;
    expect(error.message).toBe('The token store failed on lock (TypeError: lock is broken).');
  });
});

describe('the refresh grant', () => {
  it('sends the current refresh token, and warns once when the refresh endpoint fails for good', async () => {
    const { auth, clock, events, bodies } = setup(
      [
        () => Response.json({ access_token: 'access-a', refresh_token: 'r1', expires_in: 600 }),
        () => Response.json({ error: 'unsupported_grant_type' }, { status: 400 }),
        () => Response.json({ access_token: 'access-b', refresh_token: 'r2', expires_in: 600 }),
        () => new Response('gone', { status: 404 }),
        () => Response.json({ access_token: 'access-c', expires_in: 600 }),
      ],
      { timers: { setTimeout: () => 0, clearTimeout: () => {} } },
    );
    await auth.getToken();
    clock.advance(600_000);
    expect((await auth.getToken()).accessToken).toBe('access-b');
    clock.advance(600_000);
    expect((await auth.getToken()).accessToken).toBe('access-c');
    expect(bodies.map((b) => new URLSearchParams(b).get('grant_type'))).toEqual([
      'password',
      'refresh_token',
      'password',
      'refresh_token',
      'password',
    ]);
    expect(new URLSearchParams(bodies[3]).get('refresh_token')).toBe('r2');
    const warnings = events.filter((e) => e.type === 'warning');
    expect(warnings).toEqual([
      {
        type: 'warning',
        code: 'REFRESH_UNAVAILABLE',
        message:
          'The refresh grant failed (INVALID_REQUEST, HTTP 400); the refresh token was dropped for one password grant.',
        status: 400,
      },
    ]);
    expect(events.filter((e) => e.type === 'refresh-failed')).toEqual([
      {
        type: 'refresh-failed',
        code: 'INVALID_REQUEST',
        message: "GoTo's token endpoint refused the request (unsupported_grant_type).",
        attempt: 1,
        retryIn: 0,
      },
      {
        type: 'refresh-failed',
        code: 'INVALID_REQUEST',
        message: "GoTo's token endpoint refused the request (HTTP 404).",
        attempt: 1,
        retryIn: 0,
      },
    ]);
    expect(
      events.filter((e) => e.type === 'token').map((e) => (e as { source: string }).source),
    ).toEqual(['password', 'password', 'password']);
  });

  it('warns again after a refresh grant worked in between', async () => {
    const { auth, clock, events } = setup(
      [
        () => Response.json({ access_token: 'a', refresh_token: 'r1', expires_in: 600 }),
        () => new Response('', { status: 404 }),
        () => Response.json({ access_token: 'b', refresh_token: 'r2', expires_in: 600 }),
        () => Response.json({ access_token: 'c', expires_in: 600 }),
        () => new Response('', { status: 404 }),
        () => Response.json({ access_token: 'd', expires_in: 600 }),
      ],
      { timers: { setTimeout: () => 0, clearTimeout: () => {} } },
    );
    await auth.getToken();
    for (let i = 0; i < 3; i++) {
      clock.advance(600_000);
      await auth.getToken();
    }
    expect(
      events.filter((e) => e.type === 'token').map((e) => (e as { source: string }).source),
    ).toEqual(['password', 'password', 'refresh_token', 'password']);
    expect(events.filter((e) => e.type === 'warning')).toHaveLength(2);
  });

  it('redacts the refresh token it sent from what GoTo said about it', async () => {
    const { auth, clock, events } = setup(
      [
        () =>
          Response.json({ access_token: 'a', refresh_token: 'refresh-secret-9', expires_in: 600 }),
        () =>
          Response.json(
            { error: 'invalid_request', error_description: 'bad refresh-secret-9' },
            { status: 400 },
          ),
        () => Response.json({ access_token: 'b', expires_in: 600 }),
      ],
      { timers: { setTimeout: () => 0, clearTimeout: () => {} } },
    );
    await auth.getToken();
    clock.advance(600_000);
    await auth.getToken();
    expect(JSON.stringify(events)).not.toContain('refresh-secret-9');
  });

  it('does not count a close during a request as a failed request', async () => {
    let release: (() => void) | undefined;
    const { auth, events } = setup([() => Response.json({ access_token: 'a' })], {
      fetch: (async (_url: string, init: RequestInit) =>
        new Promise<Response>((_resolve, reject) => {
          release = () => reject(new Error('x'));
          init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        })) as unknown as typeof fetch,
    });
    const waiting = auth.getToken().catch((e: unknown) => e);
    await until(() => release !== undefined);
    await auth.close();
    expect(await waiting).toMatchObject({
      code: 'CLOSED',
      message: 'This GoTo auth object was closed.',
    });
    expect(events.filter((e) => e.type === 'request')).toEqual([]);
  });
});
