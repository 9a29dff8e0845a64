/**
 * GoTo's authorization code grant for many users on a shared, encrypted RedisTokenStore: one
 * entry per principal, nothing readable in Redis, one refresh per principal across objects and
 * processes, a TTL that follows the refresh token, and no Redis command on the hot path.
 */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  type GoToOAuth,
  type GoToOAuthOptions,
  type GoToToken,
  tokenStoreKey,
} from '@goto-auth/core';
import { EMULATOR_DEFAULTS, type GoToEmulator } from '@goto-auth/emulator';
import {
  expectOneNewToken,
  ManualClock,
  OAUTH_REDIRECT_URI,
  oauthClient,
  signIn,
} from '@goto-auth/test-support';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisTokenStore } from '../src/index.ts';
import type { OAuthWorkerConfig, OAuthWorkerMessage } from './fixtures/oauth-worker.ts';
import { monitorCommands } from './support/monitor.ts';
import { emulator, onCleanup, redisClient, redisServer, rejection } from './support/setup.ts';
import { spawnTs } from './support/workers.ts';

const ANN = { userId: 'ann', password: 'pw-ann', email: 'ann@example.com', firstName: 'Ann' };
const BOB = { userId: 'bob', password: 'pw-bob', email: 'bob@example.com', firstName: 'Bob' };
const ENCRYPTION_KEY = Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(32))).toString(
  'base64',
);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function oauthOn(
  emu: GoToEmulator,
  client: Redis,
  options: Partial<GoToOAuthOptions> = {},
): GoToOAuth {
  return oauthClient(emu, {
    store: new RedisTokenStore({ client, encryptionKey: ENCRYPTION_KEY }),
    // Real timers: a process waiting for another's refresh polls the lock.
    lockPollInterval: 5,
    ...options,
  });
}

/** Ann and Bob signed in on `a`, one of two objects on one Redis (each its own connection). */
async function twoSignedIn() {
  const server = await redisServer();
  const raw = redisClient(server);
  const emu = await emulator({ users: [ANN, BOB] });
  const a = oauthOn(emu, redisClient(server));
  const b = oauthOn(emu, redisClient(server));
  const ann = await signIn(a, ANN);
  const bob = await signIn(a, BOB);
  return { server, raw, emu, a, b, ann, bob };
}

async function storeKeyOf(emu: GoToEmulator, principal: string): Promise<string> {
  return tokenStoreKey({
    baseUrl: emu.url,
    clientId: EMULATOR_DEFAULTS.clientId,
    userId: `principal:${principal}`,
  });
}

/** Every key in Redis, with every field and value of it. */
async function dump(raw: Redis): Promise<{ keys: string[]; texts: string[] }> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await raw.scan(cursor, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  const texts: string[] = [];
  for (const key of keys) {
    const type = await raw.type(key);
    if (type === 'hash') texts.push(...Object.entries(await raw.hgetall(key)).flat());
    else if (type === 'string') texts.push(String(await raw.get(key)));
    else texts.push(`unexpected type ${type}`);
  }
  return { keys, texts };
}

/** What must never be readable in Redis for a signed-in user. */
function secretsOf(token: GoToToken, user: typeof ANN): string[] {
  return [
    token.accessToken,
    String(token.refreshToken),
    String(token.principal),
    user.email,
    user.userId === 'ann' ? 'Ann' : 'Bob',
    'example.com',
  ];
}

describe('createGoToOAuth on a shared RedisTokenStore', () => {
  it('keeps one encrypted entry per principal, keyed by a hash, whose TTL follows the refresh token', async () => {
    const { raw, emu, b, ann, bob } = await twoSignedIn();

    const { keys, texts } = await dump(raw);
    const store = new RedisTokenStore({ client: raw, encryptionKey: ENCRYPTION_KEY });
    const annKey = store.keys(await storeKeyOf(emu, ann.principal)).token;
    const bobKey = store.keys(await storeKeyOf(emu, bob.principal)).token;
    expect(keys.sort()).toEqual([annKey, bobKey].sort());
    for (const secret of [...secretsOf(ann.token, ANN), ...secretsOf(bob.token, BOB)]) {
      for (const key of keys) expect(key).not.toContain(secret);
      for (const text of texts) expect(text).not.toContain(secret);
    }
    for (const key of keys) expect(key.toLowerCase()).not.toMatch(/ann|bob/);
    expect(await raw.hget(annKey, 'value')).toMatch(/^gae1\./);

    // The entry lives as long as the refresh token (30 days), not the access token (1 hour).
    for (const key of keys) {
      const pttl = await raw.pttl(key);
      expect(pttl).toBeGreaterThan(30 * DAY - 60_000);
      expect(pttl).toBeLessThanOrEqual(30 * DAY);
    }

    // Another object (its own connection and memory) reads each principal's session.
    const sent = emu.counters.requests;
    expect((await b.getToken(ann.principal)).accessToken).toBe(ann.token.accessToken);
    expect((await b.getToken(bob.principal)).accessToken).toBe(bob.token.accessToken);
    expect(emu.counters.requests).toBe(sent);
  });

  it('refreshes once per principal for 100 callers at expiry across two objects, and each principal on its own', async () => {
    const server = await redisServer();
    const clock = new ManualClock(Date.now());
    const emu = await emulator({ users: [ANN, BOB], now: clock.now });
    const a = oauthOn(emu, redisClient(server), { now: clock.now });
    const b = oauthOn(emu, redisClient(server), { now: clock.now });
    const ann = await signIn(a, ANN);
    const bob = await signIn(b, BOB);
    await Promise.all([b.getToken(ann.principal), a.getToken(bob.principal)]);
    clock.advance(HOUR);

    const many = (principal: string) =>
      Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).getToken(principal)));
    const [anns, bobs] = await Promise.all([many(ann.principal), many(bob.principal)]);
    expectOneNewToken(anns, ann.token, ANN.email);
    expectOneNewToken(bobs, bob.token, BOB.email);
    expect(emu.counters.refreshGrants).toBe(2);

    // Independent locks: while someone holds Ann's, Bob still refreshes, and Ann waits.
    clock.advance(HOUR);
    const store = new RedisTokenStore({
      client: redisClient(server),
      encryptionKey: ENCRYPTION_KEY,
    });
    const held = await store.lock(await storeKeyOf(emu, ann.principal), 30_000);
    expect(held).toBeDefined();
    let annDone = false;
    const annWaiting = Promise.all([a.getToken(ann.principal), b.getToken(ann.principal)]).then(
      (tokens) => {
        annDone = true;
        return tokens;
      },
    );
    const bobFresh = await b.getToken(bob.principal);
    expect(bobFresh.accessToken).not.toBe(bobs[0]?.accessToken);
    expect(emu.counters.refreshGrants).toBe(3);
    expect(annDone).toBe(false);
    await held?.release();
    const [x, y] = await annWaiting;
    expect(x.accessToken).toBe(y.accessToken);
    expect(x.accessToken).not.toBe(anns[0]?.accessToken);
    expect(emu.counters.refreshGrants).toBe(4);
  });

  it('signOut deletes the entry of that principal for every object, and leaves the others', async () => {
    const { server, raw, emu, a, b, ann, bob } = await twoSignedIn();
    await b.getToken(ann.principal);
    const store = new RedisTokenStore({ client: raw });
    const annKey = store.keys(await storeKeyOf(emu, ann.principal)).token;
    const bobKey = store.keys(await storeKeyOf(emu, bob.principal)).token;

    await a.signOut(ann.principal);
    expect(await raw.exists(annKey)).toBe(0);
    expect(await raw.exists(bobKey)).toBe(1);
    expect(await rejection(a.getToken(ann.principal))).toMatchObject({ code: 'LOGIN_REQUIRED' });
    // b still has Ann's token in memory until it expires; a new process does not.
    const c = oauthOn(emu, redisClient(server));
    expect(await rejection(c.getToken(ann.principal))).toMatchObject({ code: 'LOGIN_REQUIRED' });
    expect((await c.getToken(bob.principal)).accessToken).toBe(bob.token.accessToken);
  });

  it('sends no Redis command for cached getToken(principal) calls', async () => {
    const server = await redisServer();
    const monitor = await monitorCommands(server.port);
    onCleanup(() => monitor.close());
    const emu = await emulator({ users: [ANN, BOB] });
    const a = oauthOn(emu, redisClient(server));
    const b = oauthOn(emu, redisClient(server));
    const principals = [(await signIn(a, ANN)).principal, (await signIn(a, BOB)).principal];
    // b reads each principal once from the store.
    const first = await monitor.mark();
    for (const principal of principals) await b.getToken(principal);
    const read = await monitor.mark();
    for (let i = 0; i < 1000; i++) {
      const principal = principals[i % 2] ?? '';
      await a.getToken(principal);
      await b.getToken(principal);
      a.forPrincipal(principal).cachedToken();
    }
    const cached = await monitor.mark();
    expect(monitor.between(read, cached)).toEqual([]);
    expect(monitor.between(first, read).map((command) => command[0])).toEqual(['hmget', 'hmget']);
  });

  it('two processes, one principal at expiry: one refresh, one token', async () => {
    const server = await redisServer();
    const emu = await emulator({ users: [ANN, BOB] });
    const parent = oauthOn(emu, redisClient(server));
    const ann = await signIn(parent, ANN);
    const fixture = fileURLToPath(new URL('./fixtures/oauth-worker.ts', import.meta.url));
    const config: OAuthWorkerConfig = {
      redisUrl: server.url,
      emulatorUrl: emu.url,
      redirectUri: OAUTH_REDIRECT_URI,
      encryptionKey: ENCRYPTION_KEY,
      principal: ann.principal,
      calls: 50,
      // Both processes' clocks are past the access token's expiry.
      skew: HOUR,
    };
    const workers = [0, 1].map(() => {
      const child = spawnTs(fixture, [JSON.stringify(config)]);
      const messages: OAuthWorkerMessage[] = [];
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.on('message', (message: OAuthWorkerMessage) => messages.push(message));
      onCleanup(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      return { child, messages, exited };
    });
    const waitFor = async (type: OAuthWorkerMessage['type']) => {
      const deadline = Date.now() + 30_000;
      while (!workers.every((w) => w.messages.some((m) => m.type === type))) {
        if (Date.now() > deadline) throw new Error(`the workers sent no "${type}"`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    await waitFor('ready');
    for (const worker of workers) worker.child.send({ type: 'go' });
    await waitFor('done');
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);

    const reports = workers.map((w) => w.messages.find((m) => m.type === 'done'));
    const fingerprints = new Set<string>();
    for (const report of reports) {
      expect(report).toMatchObject({ errors: [], principals: [ANN.email] });
      for (const fp of report?.type === 'done' ? report.fingerprints : []) fingerprints.add(fp);
    }
    expect(fingerprints.size).toBe(1);
    expect(emu.counters.refreshGrants).toBe(1);
    expect(emu.counters.authorizationCodeGrants).toBe(1);
    const fresh = createHash('sha256').update(ann.token.accessToken).digest('hex').slice(0, 12);
    expect(fingerprints.has(fresh)).toBe(false);
  }, 60_000);
});
