import { createGoToAuth } from '@goto-auth/core';
import { goToAuthPlugin } from '@goto-auth/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { LoadGenerator } from './express.ts';
import { fmtInt, fmtRatio } from './lib/format.ts';
import { CREDENTIALS, fakeGoToFetch } from './lib/goto.ts';
import type { Section } from './lib/report.ts';
import { interleave } from './lib/rounds.ts';
import { iqr, median } from './lib/stats.ts';

export interface FastifyConfig {
  /** Samples per app. */
  samples: number;
  /** Seconds per sample (autocannon works in whole seconds). */
  seconds: number;
  connections: number;
}

type Variant = 'with' | 'without' | 'registered';
const VARIANTS: Variant[] = ['with', 'without', 'registered'];

/**
 * Figure 12: requests/s through a Fastify 5 route that asks `goToAuthPlugin` for the token
 * (`{ config: { goto: true } }`) beside the same route in an app without the plugin, and beside
 * a route that does not ask in an app that has the plugin (what the plugin costs other routes).
 */
export async function fastifyFigure(config: FastifyConfig): Promise<Section> {
  const auth = createGoToAuth({ ...CREDENTIALS, fetch: fakeGoToFetch(3600), logger: false });
  await auth.getToken();
  const apps: Record<Variant, FastifyInstance> = {
    with: Fastify(),
    without: Fastify(),
    registered: Fastify(),
  };
  await apps.with.register(goToAuthPlugin, { auth });
  await apps.registered.register(goToAuthPlugin, { auth });
  // The route's own work: identical in every app.
  const handler = async (request: { goto?: unknown }) => ({
    ok: true,
    authorized: request.goto != null,
  });
  apps.with.get('/goto/me', { config: { goto: true } }, handler);
  apps.without.get('/goto/me', handler);
  apps.registered.get('/goto/me', handler);

  const urls = {} as Record<Variant, string>;
  for (const v of VARIANTS)
    urls[v] = `${await apps[v].listen({ port: 0, host: '127.0.0.1' })}/goto/me`;
  const generator = await LoadGenerator.start();
  let rates: Record<Variant, number[]>;
  try {
    // Warm every app (JIT, sockets), not counted.
    for (const v of VARIANTS) await generator.load(urls[v], config.seconds, config.connections);
    rates = await interleave(VARIANTS, config.samples, (v) =>
      generator.load(urls[v], config.seconds, config.connections),
    );
  } finally {
    generator.stop();
    await Promise.all(VARIANTS.map((v) => apps[v].close()));
    await auth.close();
  }
  // The samples of a round ran back to back: the median of per-round ratios resists drift.
  const vs = (a: Variant, b: Variant) =>
    median(rates[a].map((r, i) => r / (rates[b][i] as number)));
  const ratio = vs('with', 'without');
  const spread = (v: Variant) => iqr(rates[v], fmtInt);

  return {
    id: 12,
    title: 'Fastify: a route with goToAuthPlugin vs the same route without it',
    how:
      'Fastify 5.12, apps of identical layout (one GET route answering a small JSON body): one ' +
      'with `goToAuthPlugin` registered and the route asking for the token ' +
      '(`{ config: { goto: true } }`, cached token), one without the plugin, and one with the ' +
      'plugin registered but the route not asking. autocannon 9 in a long-lived child process, ' +
      `${config.connections} connections, loopback. ${config.samples} samples of ` +
      `${config.seconds} s per app, interleaved sample by sample (order rotating), after a ` +
      'warm-up sample of each. Requests/s: the median of the samples; ratio: the median of the ' +
      "rounds' ratios.",
    peers: ['same route without the plugin', 'plugin registered, route not asking'],
    rows: [
      {
        figure: 'requests/s',
        ours: fmtInt(median(rates.with)),
        peers: [fmtInt(median(rates.without)), fmtInt(median(rates.registered))],
        ratio: `${fmtRatio(ratio)} (not asking ÷ without: ${fmtRatio(vs('registered', 'without'))})`,
        target: '≥ 0.95x of the route without it',
        met: ratio >= 0.95,
        kind: 'speed',
      },
    ],
    notes: [
      `Interquartile range of the samples (requests/s): with the plugin ${spread('with')}, ` +
        `without ${spread('without')}, registered but not asking ${spread('registered')}. A route ` +
        'that asks gets one `onRequest` hook that reads `auth.cachedToken()` and calls `done()` ' +
        'in the same tick; a route that does not ask gets no hook at all.',
    ],
  };
}
