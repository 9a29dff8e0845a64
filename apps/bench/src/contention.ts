import { type GoToEmulator, startEmulator } from '@goto-auth/emulator';
import type { RedisServer } from '@goto-auth/test-support/redis';
import { runWorkers } from './lib/children.ts';
import { fmtRatio } from './lib/format.ts';
import type { Section } from './lib/report.ts';
import { groupedBarChart } from './lib/svg.ts';
import type { ClientConfig, ClientResult } from './workers/client.ts';

export interface ContentionConfig {
  processes: number[];
  lifetimes: number;
  ttlSeconds: number;
  /** Each process calls `/me` this often, ms. */
  intervalMs: number;
}

type Lib = ClientConfig['lib'];
const LIBS: Lib[] = ['goto-auth', 'oauth2-fetch'];
const LABEL: Record<Lib, string> = {
  'goto-auth': 'goto-auth + RedisTokenStore',
  'oauth2-fetch': '@badgateway/oauth2-client OAuth2Fetch',
};

export interface ContentionPoint {
  lib: Lib;
  processes: number;
  grants: number;
  meCalls: number;
  meRejected: number;
  /** Calls that failed as the caller saw them (after the library's own retry). */
  callerFailures: number;
  calls: number;
}

async function runPoint(
  lib: Lib,
  processes: number,
  config: ContentionConfig,
  redis: RedisServer,
): Promise<ContentionPoint> {
  const emulator: GoToEmulator = await startEmulator({
    accessTokenTtlSeconds: config.ttlSeconds,
  });
  // A little short of whole lifetimes, so that no refresh races the end of the run.
  const durationMs = config.lifetimes * config.ttlSeconds * 1000 - 250;
  const keyPrefix = `bench-contention-${processes}-${Date.now()}:`;
  try {
    const results = await runWorkers<ClientResult>({
      name: 'client',
      count: processes,
      timeoutMs: durationMs + 120_000,
      config: (): ClientConfig => ({
        lib,
        emulatorUrl: emulator.url,
        redisPort: redis.port,
        keyPrefix,
        durationMs,
        burst: 0,
        mode: 'api',
        intervalMs: config.intervalMs,
      }),
    });
    const { counters } = emulator;
    return {
      lib,
      processes,
      grants: counters.passwordGrants + counters.refreshGrants,
      meCalls: counters.meCalls,
      meRejected: counters.meRejected,
      callerFailures: results.reduce((n, r) => n + (r.calls - r.ok), 0),
      calls: results.reduce((n, r) => n + r.calls, 0),
    };
  } finally {
    await emulator.close();
  }
}

const pct = (part: number, whole: number) => (whole === 0 ? 0 : (100 * part) / whole);

/**
 * Figure 8, the picture: N processes sharing one GoToAssist Corporate credential (the emulator
 * revokes every other token on each grant), goto-auth with a shared `RedisTokenStore` beside
 * `OAuth2Fetch` (each process its own client, as deployed today). Grants and the share of
 * `/me` calls GoTo rejected with 403, over the same token lifetimes, real child processes.
 */
export async function contention(
  config: ContentionConfig,
  redis: RedisServer,
): Promise<{ section: Section; svg: string; points: ContentionPoint[] }> {
  const points: ContentionPoint[] = [];
  for (const n of config.processes) {
    for (const lib of LIBS) points.push(await runPoint(lib, n, config, redis));
  }
  const at = (lib: Lib, n: number) =>
    points.find((p) => p.lib === lib && p.processes === n) as ContentionPoint;

  const svg = groupedBarChart({
    title: 'One GoToAssist Corporate credential shared by N processes',
    subtitle:
      `Emulator with revocation on new token, ${config.ttlSeconds} s tokens, ` +
      `${config.lifetimes} lifetime${config.lifetimes === 1 ? '' : 's'}, each process calls ` +
      `GET /admin/rest/v1/me every ${config.intervalMs} ms`,
    xLabel: 'processes sharing the credential',
    groups: config.processes.map(String),
    series: [
      { name: LABEL['goto-auth'], color: '#2563eb' },
      { name: `${LABEL['oauth2-fetch']} (one client per process)`, color: '#dc2626' },
    ],
    panels: [
      {
        title: `Grants made (token requests that minted a token)`,
        values: LIBS.map((lib) => config.processes.map((n) => at(lib, n).grants)),
        format: (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1)),
      },
      {
        title: 'API calls rejected by GoTo (403 InvalidToken)',
        values: LIBS.map((lib) =>
          config.processes.map((n) => pct(at(lib, n).meRejected, at(lib, n).meCalls)),
        ),
        format: (v) => `${Math.round(v)}%`,
        max: 100,
      },
    ],
  });

  const rows = config.processes.flatMap((n) => {
    const ours = at('goto-auth', n);
    const peer = at('oauth2-fetch', n);
    // goto-auth refreshes a quarter-lifetime early, so one lifetime window holds its cold-start
    // grant plus the scheduled refreshes that fall inside it.
    const expected = 1 + Math.floor((config.lifetimes * 4) / 3 - 1e-9);
    return [
      {
        figure: `${n} process${n === 1 ? '' : 'es'}: grants in ${config.lifetimes} lifetime${config.lifetimes === 1 ? '' : 's'}`,
        ours: String(ours.grants),
        peers: [String(peer.grants)],
        ratio:
          ours.grants === 0 ? '—' : `peer ÷ goto-auth = ${fmtRatio(peer.grants / ours.grants)}`,
        target: `${expected} (one per refresh, whatever N)`,
        met: ours.grants === expected,
        kind: 'correctness' as const,
      },
      {
        figure: `${n} process${n === 1 ? '' : 'es'}: /me calls rejected (403)`,
        ours: `${pct(ours.meRejected, ours.meCalls).toFixed(1)}% (${ours.meRejected}/${ours.meCalls})`,
        peers: [
          `${pct(peer.meRejected, peer.meCalls).toFixed(1)}% (${peer.meRejected}/${peer.meCalls})`,
        ],
        target: 'caller-visible failures 0',
        met: ours.callerFailures === 0,
        kind: 'correctness' as const,
        ratio: `caller saw ${ours.callerFailures} vs ${peer.callerFailures} failures`,
      },
    ];
  });

  return {
    points,
    svg,
    section: {
      id: 8,
      title: 'The picture: processes sharing one GoToAssist Corporate credential',
      how:
        `For N = ${config.processes.join(', ')} real child processes (tsx) and each library, a ` +
        `fresh emulator (revocation on new token: GoToAssist Corporate) with ${config.ttlSeconds} s ` +
        `tokens; every process calls \`GET /admin/rest/v1/me\` every ${config.intervalMs} ms for ` +
        `${config.lifetimes} token lifetime${config.lifetimes === 1 ? '' : 's'}. goto-auth: ` +
        '`createGoToAuth` + one shared `RedisTokenStore`, calls through ky with ' +
        '`goToAuthHooks`. @badgateway/oauth2-client 3.3.1: each process its own `OAuth2Client` ' +
        '(password grant on `/oauth/v2/token`) and `OAuth2Fetch.fetch()`, as users deploy it ' +
        'today; it refreshes on expiry and retries on 401 only, while GoTo answers 403. Grants ' +
        'and rejected calls counted by the emulator (every call on the wire, retries included); ' +
        "caller-visible failures counted by the processes, after each library's own retry.",
      peers: ['OAuth2Fetch, one client per process'],
      rows,
      notes: [],
      extra: '![grants and rejected calls vs processes](contention.svg)',
    },
  };
}
