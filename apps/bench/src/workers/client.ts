/**
 * One process of a multi-process scenario: logs in to the emulator the way users deploy each
 * library, waits for the parent's go, then calls GoTo on a fixed pace for a fixed time.
 *
 * - `goto-auth`: `createGoToAuth` with a `RedisTokenStore` shared by every process, calls
 *   through ky with `goToAuthHooks` (invalidate and retry once on 401 / 403 InvalidToken).
 * - `oauth2-fetch`: @badgateway/oauth2-client's `OAuth2Fetch`, each process its own client (a
 *   password grant on `/oauth/v2/token`, refresh grants after), calls through its `fetch()`
 *   (which refreshes and retries on 401 only).
 */
import { OAuth2Client, OAuth2Fetch } from '@badgateway/oauth2-client';
import { createGoToAuth } from '@goto-auth/core';
import { goToAuthHooks } from '@goto-auth/ky';
import { RedisTokenStore } from '@goto-auth/redis';
import { Redis } from 'ioredis';
import ky from 'ky';
import { readyAndWait, sendError, sendResult, workerConfig } from '../lib/children.ts';
import { CREDENTIALS, ME_PATH } from '../lib/goto.ts';

export interface ClientConfig {
  lib: 'goto-auth' | 'oauth2-fetch';
  emulatorUrl: string;
  redisPort?: number;
  keyPrefix?: string;
  /** How long to run after the go, ms. */
  durationMs: number;
  /** Concurrent token requests at the go (a cold-start herd); 0 for none. */
  burst: number;
  /** What each tick does: call `GET /admin/rest/v1/me`, or only get a token. */
  mode: 'api' | 'token';
  intervalMs: number;
}

export interface ClientResult {
  /** Ticks run. */
  calls: number;
  /** Ticks whose call succeeded, as the caller saw it (after the library's own retry). */
  ok: number;
  /** Failures as the caller saw them, by status or error name. */
  failures: Record<string, number>;
  /** Distinct access tokens this process used. */
  tokens: number;
}

const config = workerConfig<ClientConfig>();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const seen = new Set<string>();
  const failures: Record<string, number> = {};
  const fail = (why: string) => {
    failures[why] = (failures[why] ?? 0) + 1;
  };
  let getToken: () => Promise<string>;
  let callApi: () => Promise<boolean>;
  let close: () => Promise<void>;

  if (config.lib === 'goto-auth') {
    const redis = new Redis({ port: config.redisPort, lazyConnect: true });
    await redis.connect();
    const auth = createGoToAuth({
      ...CREDENTIALS,
      baseUrl: config.emulatorUrl,
      store: new RedisTokenStore({ client: redis, keyPrefix: config.keyPrefix }),
      logger: false,
    });
    const api = ky.create({ prefix: config.emulatorUrl, hooks: goToAuthHooks(auth) });
    getToken = async () => (await auth.getToken()).accessToken;
    callApi = async () => {
      try {
        await api.get(ME_PATH.slice(1)).json();
        return true;
      } catch (error) {
        const status = (error as { response?: Response }).response?.status;
        fail(status === undefined ? ((error as Error).name ?? 'error') : String(status));
        return false;
      }
    };
    close = async () => {
      await auth.close();
      redis.disconnect();
    };
  } else {
    const client = new OAuth2Client({
      server: config.emulatorUrl,
      tokenEndpoint: '/oauth/v2/token',
      clientId: CREDENTIALS.clientId,
      clientSecret: CREDENTIALS.clientSecret,
    });
    const wrapper = new OAuth2Fetch({
      client,
      getNewToken: () =>
        client.password({ username: CREDENTIALS.userId, password: CREDENTIALS.password }),
    });
    getToken = async () => (await wrapper.getToken()).accessToken;
    callApi = async () => {
      try {
        const response = await wrapper.fetch(`${config.emulatorUrl}${ME_PATH}`);
        await response.arrayBuffer();
        if (!response.ok) fail(String(response.status));
        return response.ok;
      } catch (error) {
        fail((error as Error).name ?? 'error');
        return false;
      }
    };
    close = async () => {};
  }

  const track = async () => {
    try {
      seen.add(await getToken());
      return true;
    } catch (error) {
      fail((error as { code?: string }).code ?? (error as Error).name ?? 'error');
      return false;
    }
  };

  await readyAndWait();
  const start = Date.now();
  if (config.burst > 0) await Promise.all(Array.from({ length: config.burst }, track));
  let calls = 0;
  let ok = 0;
  for (let tick = 0; ; tick++) {
    const due = start + tick * config.intervalMs;
    if (due >= start + config.durationMs) break;
    if (due > Date.now()) await sleep(due - Date.now());
    calls++;
    if (config.mode === 'api') {
      const token = await getToken().catch(() => undefined);
      if (token !== undefined) seen.add(token);
      if (await callApi()) ok++;
    } else if (await track()) ok++;
  }
  await close();
  const result: ClientResult = { calls, ok, failures, tokens: seen.size };
  sendResult(result);
}

main().catch(sendError);
