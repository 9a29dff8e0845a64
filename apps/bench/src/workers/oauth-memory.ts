/**
 * Heap of `createGoToOAuth` as principals come and go: touches principals once each, in order,
 * with `maxPrincipals` at its default, on a store that keeps nothing in this process (it makes
 * a valid token for any key on `get`), so the heap measured is the manager cache alone.
 * Needs `--expose-gc`. Argument: how many principals to touch in all.
 */
import { createGoToOAuth, normalizeTokenResponse, type TokenStore } from '@goto-auth/core';
import { CREDENTIALS } from '../lib/goto.ts';
import { heapAfterGc } from '../lib/heap.ts';

export interface OAuthMemoryResult {
  /** Principals touched at each heap reading: 0 (a fresh object, after a warm-up on another one), then more. */
  touched: number[];
  /** heapUsed after GC at each reading (bytes). */
  heap: number[];
  /** Principals held in memory at each reading. */
  held: number[];
  /** Wall time per principal touched for the first time, ns (hash of the key, store read, manager). */
  newPrincipalNs: number;
  /** Requests sent: none are expected. */
  requests: number;
}

const total = Number(process.argv[2] ?? 100_000);
const CAP = 10_000;

/** A store that holds nothing: every key has a fresh, valid token (a day left, a refresh token). */
const synthesizing: TokenStore = {
  get: async (key) => ({
    token: normalizeTokenResponse(
      {
        access_token: `access-${key.slice(0, 24)}`,
        expires_in: '86400',
        refresh_token: `refresh-${key.slice(0, 24)}`,
        scope: 'identity:scim.me',
        principal: `${key.slice(0, 12)}@example.com`,
      },
      Date.now(),
    ),
    version: 1,
  }),
  set: async () => 1,
  delete: async () => {},
  lock: async () => ({ release: async () => {} }),
};

let requests = 0;

function client() {
  return createGoToOAuth({
    clientId: CREDENTIALS.clientId,
    clientSecret: CREDENTIALS.clientSecret,
    redirectUri: 'https://app.example.com/auth/goto/callback',
    store: synthesizing,
    fetch: async () => {
      requests++;
      throw new Error('no request expected');
    },
    logger: false,
  });
}

type Client = ReturnType<typeof client>;

/** Principals in memory, as the object's JSON form reports them. */
const held = (oauth: Client) =>
  (JSON.parse(JSON.stringify(oauth)) as { principals: number }).principals;

async function touch(oauth: Client, from: number, to: number, prefix: string): Promise<void> {
  for (let i = from; i < to; i++) await oauth.getToken(`${prefix}${i}@example.com`);
}

async function main(): Promise<void> {
  // Warm-up on another object (compiled code, the store's closures), closed and dropped before
  // the baseline, so the baseline holds no principal.
  await (async () => {
    const warm = client();
    await touch(warm, 0, 2 * CAP, 'warm-');
    await warm.close();
  })();
  const readings: { touched: number; heap: number; held: number }[] = [];
  const oauth = client();
  const read = async (touched: number) =>
    readings.push({ touched, heap: await heapAfterGc(), held: held(oauth) });
  await read(0);
  const started = performance.now();
  await touch(oauth, 0, CAP, 'user-');
  await read(CAP);
  const step = Math.max(CAP, Math.ceil((total - CAP) / 3));
  for (let at = CAP; at < total; at += step) {
    const to = Math.min(total, at + step);
    await touch(oauth, at, to, 'user-');
    await read(to);
  }
  const elapsed = performance.now() - started;
  await oauth.close();
  const result: OAuthMemoryResult = {
    touched: readings.map((r) => r.touched),
    heap: readings.map((r) => r.heap),
    held: readings.map((r) => r.held),
    newPrincipalNs: (elapsed * 1e6) / total,
    requests,
  };
  process.send?.(result, () => process.exit(0));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
