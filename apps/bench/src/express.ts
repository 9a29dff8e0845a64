import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGoToAuth } from '@goto-auth/core';
import { goToAuth } from '@goto-auth/express';
import express, { type Request, type Response } from 'express';
import { startWorker } from './lib/fork.ts';
import { fmtInt, fmtRatio } from './lib/format.ts';
import { CREDENTIALS, fakeGoToFetch } from './lib/goto.ts';
import { ProfileSummary } from './lib/profile.ts';
import type { Section } from './lib/report.ts';
import { interleave } from './lib/rounds.ts';
import { iqr, median } from './lib/stats.ts';

export interface ExpressConfig {
  /** Samples per app. */
  samples: number;
  /** Seconds of load on a profiled server (`node --cpu-prof`); 0 for no profile. */
  profileSeconds: number;
  /** Seconds per sample (autocannon works in whole seconds). */
  seconds: number;
  connections: number;
}

type Variant = 'with' | 'without' | 'sync' | 'floor';
const VARIANTS: Variant[] = ['with', 'without', 'sync', 'floor'];

/** The route's own work: identical in every app. */
function handler(req: Request, res: Response): void {
  res.json({ ok: true, authorized: req.goto !== undefined });
}

async function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/goto/me` };
}

/** autocannon in a long-lived child process (the other core). */
export class LoadGenerator {
  readonly #child: ChildProcess;
  #next = 0;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  static async start(): Promise<LoadGenerator> {
    const { child } = await startWorker('load');
    return new LoadGenerator(child);
  }

  /** One sample of `seconds`; returns 2xx answers per second. */
  async load(url: string, seconds: number, connections: number): Promise<number> {
    const id = this.#next++;
    const answer = await new Promise<{ rate: number; failures: number; error?: string }>(
      (resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('a load sample hung')), 60_000);
        const onMessage = (message: { type: string; id: number }) => {
          if (message.type !== 'loaded' || message.id !== id) return;
          clearTimeout(timer);
          this.#child.off('message', onMessage);
          resolve(message as unknown as { rate: number; failures: number; error?: string });
        };
        this.#child.on('message', onMessage);
        this.#child.send({ type: 'load', id, url, seconds, connections });
      },
    );
    if (answer.error !== undefined) throw new Error(answer.error);
    if (answer.failures > 0) throw new Error(`autocannon saw ${answer.failures} failed requests`);
    return answer.rate;
  }

  stop(): void {
    if (this.#child.exitCode === null) this.#child.kill();
  }
}

/** Where the server's CPU goes with goToAuth on the route, from a CPU profile under load. */
async function profile(generator: LoadGenerator, config: ExpressConfig): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'goto-auth-express-profile-'));
  try {
    const server = await startWorker<{ url: string }>(
      'express-server',
      [],
      ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    );
    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    await generator.load(server.ready.url, config.profileSeconds, config.connections);
    server.child.send({ type: 'exit' });
    await exited;
    const summary = ProfileSummary.fromDirectory(dir);
    const busy = summary.busy();
    const pct = (n: number) => `${((100 * n) / busy).toFixed(1)}%`;
    const adapter = summary.selfSamples(/packages\/express\/dist/);
    const core = summary.selfSamples(/packages\/core\/dist/);
    const router = summary.selfSamples(/node_modules\/router\//);
    return (
      `CPU profile of the server with goToAuth under ${config.profileSeconds} s of the same load ` +
      `(\`node --cpu-prof\`, ${fmtInt(busy)} busy samples = 100%; self time, with the built-ins ` +
      `each calls directly): goToAuth's middleware ${pct(adapter)}, core (\`getToken()\`) ` +
      `${pct(core)}; Express's router (all layers, all routes' dispatch) ${pct(router)}. What ` +
      "goToAuth adds beyond its own code is Express's cost of one more route handler that calls " +
      '`next()` asynchronously: the floor-middleware column measures it.'
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Figure 3: requests/s through an Express 5 route with `goToAuth(auth)` beside the same route
 * without it (and beside a floor middleware). Apps of the same layout, one route each, served
 * by this process; autocannon in a child process; many short samples, interleaved; medians.
 */
export async function expressFigure(config: ExpressConfig): Promise<Section> {
  const auth = createGoToAuth({ ...CREDENTIALS, fetch: fakeGoToFetch(3600), logger: false });
  const token = await auth.getToken();
  const cached = Promise.resolve(token);
  const apps: Record<Variant, express.Express> = {
    with: express(),
    without: express(),
    sync: express(),
    floor: express(),
  };
  for (const app of Object.values(apps)) app.disable('x-powered-by');
  apps.with.get('/goto/me', goToAuth(auth), handler);
  apps.without.get('/goto/me', handler);
  // The least any middleware pays: one more route handler, next() at once.
  apps.sync.get(
    '/goto/me',
    (req, _res, next) => {
      req.goto = token;
      next();
    },
    handler,
  );
  // The least any promise-based token middleware pays: one cached promise, one hop to next().
  apps.floor.get(
    '/goto/me',
    (req, _res, next) => {
      void cached.then((value) => {
        req.goto = value;
        next();
      });
    },
    handler,
  );

  const servers = await Promise.all(VARIANTS.map((v) => listen(apps[v])));
  const url = (v: Variant) => (servers[VARIANTS.indexOf(v)] as { url: string }).url;
  const generator = await LoadGenerator.start();
  let rates: Record<Variant, number[]>;
  let profiled: string | undefined;
  try {
    // Warm every app (JIT, sockets), not counted.
    for (const v of VARIANTS) await generator.load(url(v), config.seconds, config.connections);
    rates = await interleave(VARIANTS, config.samples, (v) =>
      generator.load(url(v), config.seconds, config.connections),
    );
    if (config.profileSeconds > 0) profiled = await profile(generator, config);
  } finally {
    generator.stop();
    for (const { server } of servers) {
      server.closeAllConnections();
      server.close();
    }
    await auth.close();
  }
  const rate = (v: Variant) => median(rates[v]);
  // The samples of a round ran back to back: the median of per-round ratios resists drift.
  const paired = (v: Variant) => median(rates.with.map((r, i) => r / (rates[v][i] as number)));
  const ratio = paired('without');
  const ratioFloor = paired('floor');
  const vs = (a: Variant, b: Variant) =>
    median(rates[a].map((r, i) => r / (rates[b][i] as number)));
  const spread = (v: Variant) => iqr(rates[v], fmtInt);

  return {
    id: 3,
    title: 'Express: a route with goToAuth() vs the same route without it',
    how:
      'Express 5.3, apps of identical layout (one GET route answering a small JSON body): one ' +
      'with `goToAuth(auth)` before the handler (cached token), one without, one with a ' +
      'synchronous middleware (`req.goto = token; next()`: the least any middleware pays) and ' +
      'one with a promise floor middleware (the least a middleware pays that gets its token ' +
      'from a promise: a cached promise, `.then`, `req.goto = token`, `next()`). autocannon 9 ' +
      'in a long-lived child process, ' +
      `${config.connections} connections, loopback. ${config.samples} samples of ` +
      `${config.seconds} s per app, the apps interleaved sample by sample (order ` +
      'rotating), after a warm-up sample of each. Requests/s: the median of the samples; ' +
      "ratio: the median of the rounds' ratios (a round's samples run back to back, so what " +
      'else the shared machine runs falls on both sides alike).',
    peers: ['same route without it', 'sync middleware', 'promise floor middleware'],
    rows: [
      {
        figure: 'requests/s',
        ours: fmtInt(rate('with')),
        peers: [fmtInt(rate('without')), fmtInt(rate('sync')), fmtInt(rate('floor'))],
        ratio: `${fmtRatio(ratio)} (vs promise floor ${fmtRatio(ratioFloor)})`,
        target: '≥ 0.95x of the route without it',
        met: ratio >= 0.95,
        kind: 'speed',
      },
    ],
    notes: [
      `Interquartile range of the samples (requests/s): with goToAuth ${spread('with')}, ` +
        `without ${spread('without')}, sync middleware ${spread('sync')}, promise floor ` +
        `${spread('floor')}. Where the gap goes (medians of per-round ratios): one more route ` +
        `handler (sync ÷ without) ${fmtRatio(vs('sync', 'without'))}; taking the token from a ` +
        `promise (promise floor ÷ sync) ${fmtRatio(vs('floor', 'sync'))}; goToAuth's own code ` +
        `(goToAuth ÷ promise floor) ${fmtRatio(vs('with', 'floor'))}.`,
      ...(profiled === undefined ? [] : [profiled]),
      'What is left: goToAuth takes the token from a promise on every request (an object with a ' +
        '`signal` getter, `getToken()`, `.then` with two closures, then `next()`). Core has no ' +
        'synchronous way to read the cached token, so the middleware cannot take the sync ' +
        "middleware's path. A core accessor for the cached token (the hot path's own test, " +
        '`now < refreshAt`, returning the token or `undefined`, no allocation) would let ' +
        '`goToAuth` call `next()` at once when the token is cached and keep the promise path ' +
        'for refreshes: the sync-middleware column is what that costs.',
    ],
  };
}
