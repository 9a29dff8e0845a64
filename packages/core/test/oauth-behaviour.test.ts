/**
 * `createGoToOAuth` on a stub token endpoint and a manual clock: what a user of the object sees
 * of its messages, its per-principal views, its close, its memory bound and its sign-in key.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { onCleanup, rejection, settle, until } from '../../../tools/test-support/src/index.ts';
import {
  type CallbackChecks,
  createGoToOAuth,
  createSignInFlow,
  type GoToAuthEvent,
  type GoToOAuth,
  type GoToOAuthOptions,
  MemoryTokenStore,
  type TokenStore,
} from '../src/index.js';
import { ManualClock, NO_TIMERS } from './helpers.js';

const CLIENT_SECRET = 'the-client-secret-of-this-app';
const REDIRECT_URI = 'https://app.example.com/auth/callback';

/** One request the stub token endpoint received. */
interface Sent {
  grant: string | null;
  body: URLSearchParams;
}

/** What the stub token endpoint answers a request with. */
type Answer = (sent: Sent, signal: AbortSignal | undefined) => Response | Promise<Response>;

/**
 * GoTo's token endpoint for codes named `code-<principal>`: the code exchange answers tokens
 * for that principal, a refresh answers new ones for the refresh token's principal.
 */
const tokens: Answer = ({ grant, body }) => {
  const principal =
    grant === 'authorization_code'
      ? (body.get('code') ?? '').replace(/^code-/, '')
      : (body.get('refresh_token') ?? '').replace(/^rt-/, '');
  return Response.json({
    access_token: `at-${principal}-${grant}-${Math.random().toString(36).slice(2)}`,
    refresh_token: `rt-${principal}`,
    expires_in: 3600,
    principal,
  });
};

/** An OAuth object on a stub token endpoint and a manual clock, closed after the test. */
function stubOAuth(
  options: Partial<GoToOAuthOptions> = {},
  answer: Answer = tokens,
  clock = new ManualClock(),
) {
  const sent: Sent[] = [];
  const stubFetch = async (_url: string | URL | Request, init?: RequestInit) => {
    const body = new URLSearchParams(String(init?.body ?? ''));
    const request = { grant: body.get('grant_type'), body };
    sent.push(request);
    return answer(request, init?.signal ?? undefined);
  };
  const oauth = createGoToOAuth({
    clientId: 'the-client',
    clientSecret: CLIENT_SECRET,
    redirectUri: REDIRECT_URI,
    fetch: stubFetch as typeof fetch,
    now: clock.now,
    timers: NO_TIMERS,
    retry: false,
    minGrantInterval: 0,
    logger: false,
    ...options,
  });
  onCleanup(() => oauth.close());
  return { oauth, clock, sent };
}

/** Completes a sign-in of `principal` (the stub's code names it). */
function signIn(oauth: GoToOAuth, principal: string) {
  return oauth.handleCallback(`/auth/callback?state=s&code=code-${principal}`, { state: 's' });
}

/** A promise and its resolution, for answers a test releases itself. */
function deferred<T>() {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Whether `promise` has settled after a few turns of the event loop, and how. */
async function outcome(promise: Promise<unknown>): Promise<'pending' | 'resolved' | Error> {
  let state: 'pending' | 'resolved' | Error = 'pending';
  promise.then(
    () => {
      state = 'resolved';
    },
    (error: Error) => {
      state = error;
    },
  );
  await settle();
  return state;
}

describe('the messages a user reads', () => {
  it('explains a state refusal, a missing principal and a closed object', async () => {
    const { oauth } = stubOAuth();
    const mismatch = await rejection(oauth.handleCallback('/cb?state=a&code=c', { state: 'b' }));
    expect(mismatch.message).toBe(
      "The callback's state is missing or is not this sign-in's: start the sign-in again.",
    );
    expect(() => oauth.forPrincipal('')).toThrow(
      'No principal given: sign the user in with GoTo first.',
    );
    expect(() => oauth.authorizationUrl({ state: '' })).toThrow(
      'authorizationUrl: "state" must be a non-empty string.',
    );
    await oauth.close();
    const closed = await rejection(oauth.getToken('ann@example.com'));
    expect(closed).toMatchObject({ code: 'CLOSED', message: 'This GoTo OAuth object was closed.' });
  });

  it('refuses a principal that is not a string, as from a session that holds none', async () => {
    const { oauth, sent } = stubOAuth();
    for (const missing of [undefined, null, 42]) {
      const principal = missing as unknown as string;
      expect(() => oauth.forPrincipal(principal)).toThrow(
        expect.objectContaining({ code: 'LOGIN_REQUIRED' }),
      );
      expect(await rejection(oauth.getToken(principal))).toMatchObject({
        code: 'LOGIN_REQUIRED',
        message: 'No principal given: sign the user in with GoTo first.',
      });
    }
    expect(sent).toHaveLength(0);
  });

  it('shows its configuration, never a secret, when inspected', async () => {
    const { oauth } = stubOAuth();
    await signIn(oauth, 'ann@example.com');
    const shown = inspect(oauth);
    expect(shown).toBe(`GoToOAuth ${JSON.stringify(oauth)}`);
    expect(JSON.parse(shown.slice('GoToOAuth '.length))).toEqual({
      authUrl: 'https://authentication.logmeininc.com',
      clientId: 'the-client',
      redirectUri: REDIRECT_URI,
      principals: 1,
      closed: false,
    });
    expect(shown).not.toContain(CLIENT_SECRET);
  });
});

describe('checking the callback', () => {
  it('refuses an empty state even when the callback carries an empty one too', async () => {
    const { oauth, sent } = stubOAuth();
    const error = await rejection(
      oauth.handleCallback('/auth/callback?state=&code=code-ann', { state: '' }),
    );
    expect(error).toMatchObject({ code: 'STATE_MISMATCH' });
    expect(sent).toHaveLength(0);
  });

  it('refuses a callback checked against nothing, as from a caller without checks', async () => {
    const { oauth, sent } = stubOAuth();
    const error = await rejection(
      oauth.handleCallback(
        '/auth/callback?state=s&code=code-ann',
        undefined as unknown as CallbackChecks,
      ),
    );
    expect(error).toMatchObject({ code: 'STATE_MISMATCH' });
    expect(sent).toHaveLength(0);
  });

  it('answers CLOSED after close, whatever the callback says', async () => {
    const { oauth, sent } = stubOAuth();
    await oauth.close();
    for (const callback of ['/cb?state=a', '/cb?state=s&error=access_denied', '/cb?state=s']) {
      expect(await rejection(oauth.handleCallback(callback, { state: 's' }))).toMatchObject({
        code: 'CLOSED',
      });
    }
    expect(sent).toHaveLength(0);
  });
});

describe('the code exchange', () => {
  it('refuses an answer that names no principal, and keeps no session', async () => {
    for (const principal of [undefined, '']) {
      const { oauth } = stubOAuth({}, () =>
        Response.json({ access_token: 'at', refresh_token: 'rt', expires_in: 3600, principal }),
      );
      const failed = await rejection(signIn(oauth, 'ann'));
      expect(failed).toMatchObject({
        code: 'INVALID_RESPONSE',
        message: "GoTo's answer to the code exchange names no principal.",
      });
      expect(JSON.parse(JSON.stringify(oauth))).toMatchObject({ principals: 0 });
      expect(oauth.status('ann').state).toBe('empty');
    }
  });

  it('never repeats the code or the client secret that GoTo echoes in a refusal', async () => {
    const code = 'code-ann-5f2b9c1d';
    const { oauth } = stubOAuth({}, ({ body }) =>
      Response.json(
        {
          error: 'invalid_grant',
          error_description: `code ${body.get('code')} unknown to client with ${CLIENT_SECRET}`,
        },
        { status: 400 },
      ),
    );
    const failed = await rejection(
      oauth.handleCallback(`/auth/callback?state=s&code=${code}`, { state: 's' }),
    );
    expect(failed).toMatchObject({ code: 'INVALID_CALLBACK' });
    expect(failed.message).toContain('[redacted]');
    expect(failed.message).not.toContain(code);
    expect(failed.message).not.toContain(CLIENT_SECRET);
  });

  it('turns a failure that is not a GoTo error into UNEXPECTED_ERROR, and reports it', async () => {
    const events: GoToAuthEvent[] = [];
    const { oauth, sent } = stubOAuth({
      timers: {
        setTimeout: () => {
          throw new TypeError('no timers here');
        },
        clearTimeout: () => {},
      },
      onEvent: (event) => events.push(event),
    });
    const failed = await rejection(signIn(oauth, 'ann'));
    expect(failed).toMatchObject({
      code: 'UNEXPECTED_ERROR',
      message: 'The code exchange failed unexpectedly.',
    });
    expect(events).toEqual([
      expect.objectContaining({
        type: 'request',
        grant: 'authorization_code',
        outcome: 'failure',
        code: 'UNEXPECTED_ERROR',
      }),
    ]);
    expect(sent).toHaveLength(0);
  });

  it('reports no failed request when close() stops an exchange under way', async () => {
    const events: GoToAuthEvent[] = [];
    const started = deferred<void>();
    const { oauth } = stubOAuth(
      { onEvent: (event) => events.push(event) },
      (_sent, signal) =>
        new Promise<Response>((_resolve, reject) => {
          started.resolve();
          signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
    );
    const signing = signIn(oauth, 'ann');
    await started.promise;
    await oauth.close();
    expect(await rejection(signing)).toMatchObject({ code: 'CLOSED' });
    expect(events.filter((event) => event.type === 'request')).toEqual([]);
  });

  it('keeps no session in a closed object when close() comes as the exchange answers', async () => {
    let closing: Promise<void> | undefined;
    const { oauth } = stubOAuth({
      onEvent: (event) => {
        if (event.type === 'request') closing = oauth.close();
      },
    });
    const signing = signIn(oauth, 'ann');
    expect(await rejection(signing)).toMatchObject({ code: 'CLOSED' });
    await closing;
    expect(await rejection(oauth.getToken('ann'))).toMatchObject({ code: 'CLOSED' });
    expect(oauth.cachedToken('ann')).toBeUndefined();
    expect(oauth.status('ann').state).toBe('closed');
    expect(JSON.parse(JSON.stringify(oauth))).toMatchObject({ principals: 0, closed: true });
  });

  it('logs a listener that throws, naming its error without the client secret', async () => {
    const logged: string[] = [];
    const { oauth } = stubOAuth({
      logger: { error: (message: string) => logged.push(message) },
      onEvent: (event) => {
        if (event.type === 'request') throw new RangeError(`listener broke on ${CLIENT_SECRET}`);
      },
    });
    await signIn(oauth, 'ann');
    expect(logged).toEqual([
      '[goto-auth] an event listener threw (RangeError: listener broke on [redacted]).',
    ]);
  });
});

describe('on()', () => {
  it("hears every principal's events until removed", async () => {
    const { oauth, clock } = stubOAuth();
    const heard: string[] = [];
    const remove = oauth.on('request', (event) => heard.push(event.grant));
    await signIn(oauth, 'ann');
    clock.advance(3_600_000);
    await oauth.getToken('ann');
    remove();
    await signIn(oauth, 'bob');
    expect(heard).toEqual(['authorization_code', 'refresh_token']);
  });
});

describe('forPrincipal', () => {
  it("is the principal's token source: token, cache, invalidate, status and events", async () => {
    const { oauth, sent } = stubOAuth();
    const { token } = await signIn(oauth, 'ann');
    await signIn(oauth, 'bob');
    const view = oauth.forPrincipal('ann');
    expect((await view.getToken()).accessToken).toBe(token.accessToken);
    expect(view.cachedToken()?.accessToken).toBe(token.accessToken);
    expect(view.status()).toMatchObject({ state: 'valid', serving: true });
    const heard: GoToAuthEvent[] = [];
    const remove = view.on('invalidated', (event) => heard.push(event));
    expect(view.invalidate(token.accessToken)).toBe(true);
    expect(heard).toEqual([expect.objectContaining({ stale: false })]);
    remove();
    expect(view.cachedToken()).toBeUndefined();
    const fresh = await view.getToken();
    expect(fresh.accessToken).not.toBe(token.accessToken);
    expect(fresh.principal).toBe('ann');
    expect(sent.map((s) => s.grant)).toEqual([
      'authorization_code',
      'authorization_code',
      'refresh_token',
    ]);
    expect(oauth.cachedToken('bob')?.principal).toBe('bob');
  });
});

describe('refresh on demand', () => {
  it('refreshes a principal on its next call, never ahead of it on a timer', async () => {
    const clock = new ManualClock();
    const { oauth, sent } = stubOAuth({ timers: clock }, tokens, clock);
    await signIn(oauth, 'ann');
    expect(clock.pending).toBe(0);
    clock.advance(2 * 3_600_000);
    await settle();
    expect(sent).toHaveLength(1);
    await oauth.getToken('ann');
    expect(sent.map((s) => s.grant)).toEqual(['authorization_code', 'refresh_token']);
  });
});

describe('close', () => {
  it('rejects callers waiting on a store, and waits for that store call before it ends', async () => {
    const inner = new MemoryTokenStore();
    const reading = deferred<void>();
    let reads = 0;
    const store: TokenStore = {
      get: async (key) => {
        reads++;
        await reading.promise;
        return inner.get(key);
      },
      set: (key, token, ttl, expected) => inner.set(key, token, ttl, expected),
      delete: (key) => inner.delete(key),
      lock: (key, ttl) => inner.lock(key, ttl),
    };
    const { oauth } = stubOAuth({ store });
    const waiting = oauth.getToken('ann');
    await until(() => reads === 1);
    const closing = oauth.close();
    expect(await outcome(waiting)).toMatchObject({ code: 'CLOSED' });
    expect(await outcome(closing)).toBe('pending');
    reading.resolve();
    await closing;
    expect(oauth.closed).toBe(true);
  });
});

describe('the sign-in key', () => {
  it('is found by another copy of core under the registered symbol, and cannot be exported', async () => {
    const { oauth } = stubOAuth();
    const registered = Symbol.for('goto-auth.oauth.sign-in');
    const internals = (
      oauth as unknown as Record<symbol, () => { stateKey(): Promise<CryptoKey> }>
    )[registered];
    expect(typeof internals).toBe('function');
    // What another copy's object carries: the same methods and the same registered symbol.
    const foreign = {
      authorizationUrl: oauth.authorizationUrl.bind(oauth),
      handleCallback: oauth.handleCallback.bind(oauth),
      [registered]: () => internals?.call(oauth),
    } as unknown as GoToOAuth;
    const flow = createSignInFlow(foreign);
    const { setCookie } = await flow.start();
    expect(setCookie).toMatch(/^goto_auth_state=/);
    const key = await internals?.call(oauth).stateKey();
    expect(key?.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('raw', key as CryptoKey)).rejects.toThrow();
  });

  it('differs between two clients that share a secret: one refuses the other’s cookie', async () => {
    const { oauth: one, sent } = stubOAuth({ clientId: 'client-one' });
    const { oauth: two } = stubOAuth({ clientId: 'client-two' });
    const started = await createSignInFlow(one).start();
    const state = new URL(started.url).searchParams.get('state');
    const cookie = started.setCookie.split(';')[0];
    const callback = `/auth/callback?state=${state}&code=code-ann`;
    const refused = await rejection(createSignInFlow(two).finish(callback, cookie));
    expect(refused).toMatchObject({ code: 'STATE_MISMATCH' });
    expect(refused.message).toMatch(/not valid/);
    expect(sent).toHaveLength(0);
    const signedIn = await createSignInFlow(one).finish(callback, cookie);
    expect(signedIn.principal).toBe('ann');
  });
});

describe('the memory bound', () => {
  it('drops the least recently used principal when all were used, never the newcomer', async () => {
    const { oauth, sent } = stubOAuth({ maxPrincipals: 2 });
    await signIn(oauth, 'ann');
    await signIn(oauth, 'bob');
    await oauth.getToken('ann');
    await oauth.getToken('bob');
    const cat = await signIn(oauth, 'cat');
    expect(oauth.cachedToken('cat')?.accessToken).toBe(cat.token.accessToken);
    expect(oauth.cachedToken('bob')?.principal).toBe('bob');
    expect(oauth.cachedToken('ann')).toBeUndefined();
    // Ann's session is in the store: reading it back sends nothing.
    expect((await oauth.getToken('ann')).principal).toBe('ann');
    expect(sent).toHaveLength(3);
  });

  it('keeps a principal who signs in again in its place, pushing nobody out', async () => {
    const { oauth } = stubOAuth({ maxPrincipals: 2 });
    await signIn(oauth, 'ann');
    const bob = await signIn(oauth, 'bob');
    await oauth.getToken('ann');
    const again = await signIn(oauth, 'ann');
    expect(oauth.cachedToken('ann')?.accessToken).toBe(again.token.accessToken);
    expect(oauth.cachedToken('bob')?.accessToken).toBe(bob.token.accessToken);
  });

  it('keeps a principal whose refresh is under way, even past the bound', async () => {
    const clock = new ManualClock();
    const release = deferred<void>();
    const { oauth, sent } = stubOAuth(
      { maxPrincipals: 1 },
      async (request, signal) => {
        if (request.grant === 'refresh_token') await release.promise;
        return tokens(request, signal);
      },
      clock,
    );
    await signIn(oauth, 'ann');
    clock.advance(3_600_000);
    const refreshing = oauth.getToken('ann');
    await until(() => sent.length === 2);
    expect(await rejection(oauth.getToken('bob'))).toMatchObject({ code: 'LOGIN_REQUIRED' });
    expect(oauth.status('ann').state).toBe('refreshing');
    release.resolve();
    const fresh = await refreshing;
    expect(oauth.cachedToken('ann')?.accessToken).toBe(fresh.accessToken);
    expect(sent.map((s) => s.grant)).toEqual(['authorization_code', 'refresh_token']);
  });
});
