import { OAuth2Client as BadgatewayClient, OAuth2Fetch } from '@badgateway/oauth2-client';
import { createGoToAuth } from '@goto-auth/core';
import { OAuth2Client as GoogleClient } from 'google-auth-library';
import { fmtInt, fmtRatio } from './lib/format.ts';
import { CREDENTIALS, fakeGoToFetch } from './lib/goto.ts';
import type { Section } from './lib/report.ts';
import { perCallRounds, type RoundsConfig } from './lib/rounds.ts';
import { median } from './lib/stats.ts';

export type HotPathConfig = RoundsConfig;

/** Awaited calls per sample: enough to drown the harness's own cost per sample. */
const BATCH = 1000;
const FAR = 1e12;

type Candidate = 'goto-auth' | 'badgateway' | 'google' | 'floor';

/**
 * Figure 1: `getToken()` on a cached token beside the peers and the floor any correct
 * implementation pays (one clock read, one cached promise), per call.
 */
export async function hotPath(config: HotPathConfig): Promise<Section> {
  const auth = createGoToAuth({
    ...CREDENTIALS,
    fetch: fakeGoToFetch(3600),
    logger: false,
  });
  const first = await auth.getToken();

  const badgatewayClient = new BadgatewayClient({
    server: 'https://api.getgo.com',
    tokenEndpoint: '/oauth/v2/token',
    clientId: CREDENTIALS.clientId,
    clientSecret: CREDENTIALS.clientSecret,
  });
  const stored = {
    accessToken: first.accessToken,
    refreshToken: null,
    expiresAt: Date.now() + FAR,
  };
  const badgateway = new OAuth2Fetch({
    client: badgatewayClient,
    getNewToken: () => stored,
    getStoredToken: () => stored,
  });
  await badgateway.getAccessToken();

  const google = new GoogleClient();
  google.setCredentials({
    access_token: first.accessToken,
    expiry_date: Date.now() + FAR,
    token_type: 'Bearer',
  });
  await google.getAccessToken();

  // The floor: what any correct implementation must do on the hot path.
  const refreshAt = Date.now() + FAR;
  const cached = Promise.resolve(first);
  const slow = (): Promise<typeof first> => Promise.reject(new Error('not reached'));
  const floor = () => (Date.now() < refreshAt ? cached : slow());

  // One function literal per candidate, so no call site is shared (and made polymorphic).
  const batches: Record<Candidate, () => Promise<void>> = {
    'goto-auth': async () => {
      for (let i = 0; i < BATCH; i++) await auth.getToken();
    },
    badgateway: async () => {
      for (let i = 0; i < BATCH; i++) await badgateway.getToken();
    },
    google: async () => {
      for (let i = 0; i < BATCH; i++) await google.getAccessToken();
    },
    floor: async () => {
      for (let i = 0; i < BATCH; i++) await floor();
    },
  };
  const names = Object.keys(batches) as Candidate[];
  const perCall = await perCallRounds(batches, BATCH, config);
  await auth.close();

  const ns = Object.fromEntries(names.map((n) => [n, median(perCall[n])])) as Record<
    Candidate,
    number
  >;
  const ops = (n: Candidate) => 1e9 / ns[n];
  const fastestPeer = ops('badgateway') >= ops('google') ? 'badgateway' : 'google';
  // The candidates of a round ran back to back: the median of per-round ratios resists the
  // machine's drift far better than a ratio of medians.
  const paired = (a: Candidate, b: Candidate) =>
    median(perCall[a].map((value, round) => value / (perCall[b][round] as number)));
  const vsPeer = paired(fastestPeer, 'goto-auth');
  const vsFloor = paired('goto-auth', 'floor');
  const spread = (n: Candidate) => {
    const values = perCall[n].map((v) => 1e9 / v);
    return `${fmtInt(Math.min(...values))}–${fmtInt(Math.max(...values))}`;
  };

  return {
    id: 1,
    title: 'Hot path: getToken() on a cached token',
    how:
      `mitata \`measure\`, one sample = ${BATCH} awaited calls (so the harness cost per sample ` +
      `is negligible), p50 of the samples; ${config.rounds} interleaved rounds of ` +
      `≥ ${config.minCpuTimeMs} ms per candidate, median of the rounds. Peers hold a token that ` +
      'expires far in the future: `OAuth2Fetch.getToken()` of @badgateway/oauth2-client ' +
      '3.3.1 (token from `getStoredToken`), `OAuth2Client.getAccessToken()` of ' +
      'google-auth-library 10 (`setCredentials` with `access_token` and `expiry_date`). The ' +
      'floor is `Date.now() < refreshAt ? cachedPromise : slow()`, awaited the same way.',
    peers: ['@badgateway/oauth2-client', 'google-auth-library', 'floor'],
    rows: [
      {
        figure: 'cached getToken(), calls/s',
        ours: fmtInt(ops('goto-auth')),
        peers: [fmtInt(ops('badgateway')), fmtInt(ops('google')), fmtInt(ops('floor'))],
        ratio: `${fmtRatio(vsPeer)} of the fastest peer`,
        target: 'no slower than the fastest peer (≥ 1.00x)',
        met: vsPeer >= 1,
        kind: 'speed',
      },
      {
        figure: 'time per call vs the floor',
        ours: `${ns['goto-auth'].toFixed(1)} ns`,
        peers: [
          `${ns.badgateway.toFixed(1)} ns`,
          `${ns.google.toFixed(1)} ns`,
          `${ns.floor.toFixed(1)} ns`,
        ],
        ratio: `${fmtRatio(vsFloor)} the floor`,
        target: '≤ 1.20x the floor',
        met: vsFloor <= 1.2,
        kind: 'speed',
      },
    ],
    notes: [
      `Spread of the rounds (calls/s, min–max): goto-auth ${spread('goto-auth')}, ` +
        `@badgateway/oauth2-client ${spread('badgateway')}, google-auth-library ` +
        `${spread('google')}, floor ${spread('floor')}.`,
    ],
  };
}
