import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGoToAuth, type GoToAuth, goToFetch, isRejectedResponse } from '@goto-auth/core';
import { goToAuthHooks, goToKy } from '@goto-auth/ky';
import ky, { type KyInstance } from 'ky';
import { measure } from 'mitata';
import { startWorker } from './lib/fork.ts';
import { fmtInt, fmtRatio } from './lib/format.ts';
import { CREDENTIALS } from './lib/goto.ts';
import { ProfileSummary } from './lib/profile.ts';
import type { Section } from './lib/report.ts';
import { interleave } from './lib/rounds.ts';
import { iqr, median } from './lib/stats.ts';

export interface KyConfig {
  /** Samples per variant. */
  samples: number;
  /** Calls per sample. */
  calls: number;
  /** Calls in flight at once. */
  concurrency: number;
  /** Minimum measured time per variant per round of the no-network breakdown, ms. */
  breakdownMs: number;
  breakdownRounds: number;
  /** Calls to profile with `node --cpu-prof` (0: no profile). */
  profileCalls: number;
}

/** Where a no-network call through goToAuthHooks spends its time, from a CPU profile. */
async function profile(calls: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'goto-auth-ky-profile-'));
  try {
    const worker = await startWorker(
      'ky-profile',
      [String(calls)],
      ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    );
    await new Promise((resolve) => worker.child.once('exit', resolve));
    const summary = ProfileSummary.fromDirectory(dir);
    const inKy = { name: /./, url: /ky\/distribution\/core\/Ky\.js$/ };
    const afterHooks = { name: /runAfterResponseHooks/, url: /Ky\.js$/ };
    const kyTotal = summary.samples(inKy);
    const pct = (n: number) => `${((100 * n) / kyTotal).toFixed(1)}%`;
    const after = summary.samples(afterHooks);
    const clone = summary.samples({ name: /^clone/, url: /undici/ }, afterHooks);
    const ours = summary.samples({ name: /./, url: /packages\/ky\/dist/ });
    const getToken = summary.samples({ name: /^getToken$/, url: /packages\/core\/dist/ });
    return (
      `CPU profile of ${fmtInt(calls)} no-network calls through goToAuthHooks (\`node ` +
      `--cpu-prof\`; ${fmtInt(kyTotal)} samples inside ky, the 100% below; inclusive): ky's ` +
      `\`#runAfterResponseHooks\` ${pct(after)}, of which undici's \`Response.clone\` ` +
      `${pct(clone)}: ky 2.1 hands every afterResponse hook \`response.clone()\` (a tee of the ` +
      'body stream) and cancels the unused branch afterwards (`ky/distribution/core/Ky.js`, ' +
      `\`#runAfterResponseHooks\`). goToAuthHooks' own code ${pct(ours)}, \`auth.getToken()\` ` +
      `${pct(getToken)}. The adapter's cost is ky's price for having an afterResponse hook at ` +
      'all (compare the empty-hook row).'
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `calls` GETs of `/admin/rest/v1/me`, `concurrency` at a time; returns calls/s. */
async function drive(api: KyInstance, calls: number, concurrency: number): Promise<number> {
  let started = 0;
  const worker = async () => {
    while (started < calls) {
      started++;
      await api.get('admin/rest/v1/me').json();
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return calls / ((performance.now() - t0) / 1000);
}

/** The same calls through a bare `fetch`-like function, reading the JSON body. */
async function driveFetch(
  call: (url: string) => Promise<Response>,
  url: string,
  calls: number,
  concurrency: number,
): Promise<number> {
  let started = 0;
  const worker = async () => {
    while (started < calls) {
      started++;
      await (await call(url)).json();
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return calls / ((performance.now() - t0) / 1000);
}

type Variant = 'hooks' | 'plain' | 'sketch' | 'goToKy' | 'fetch' | 'goToFetch';

/**
 * A sketch of the other adapter design, to measure it: the token set by a wrapped `fetch` and
 * rejections checked there (a 2xx answer is never cloned), no afterResponse hook. A GET-only
 * sketch: a real one would also replay bodies and keep to the configured origins.
 */
function sketchFetch(auth: GoToAuth, inner: typeof fetch): typeof fetch {
  return async (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const { accessToken } = await auth.getToken();
    request.headers.set('authorization', `Bearer ${accessToken}`);
    const response = await inner(request.clone());
    if (response.status !== 401 && response.status !== 403) return response;
    if (!(await isRejectedResponse(response))) return response;
    auth.invalidate(accessToken);
    const retry = await auth.getToken();
    request.headers.set('authorization', `Bearer ${retry.accessToken}`);
    return inner(request);
  };
}
type Part =
  | 'plain'
  | 'empty afterResponse hook'
  | 'beforeRequest part only'
  | 'goToAuthHooks'
  | 'fetch wrapper';

/**
 * Where the adapter's cost goes, without the network: the same call on a `fetch` that answers
 * at once, per call (mitata, p50 of samples of 10 calls, interleaved rounds, median).
 */
async function breakdown(
  auth: GoToAuth,
  accessToken: string,
  config: KyConfig,
): Promise<Record<Part, number>> {
  const body = JSON.stringify({ ok: true });
  const instant = async () =>
    new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
  const base = { prefix: 'http://127.0.0.1:9', fetch: instant };
  const header = { authorization: `Bearer ${accessToken}` };
  const hooks = goToAuthHooks(auth);
  const apis: Record<Part, KyInstance> = {
    plain: ky.create({ ...base, headers: header }),
    'empty afterResponse hook': ky.create({
      ...base,
      headers: header,
      hooks: { afterResponse: [() => {}] },
    }),
    'beforeRequest part only': ky.create({
      ...base,
      hooks: { init: hooks.init, beforeRequest: hooks.beforeRequest },
    }),
    goToAuthHooks: ky.create({ ...base, hooks }),
    'fetch wrapper': ky.create({ prefix: base.prefix, fetch: sketchFetch(auth, instant) }),
  };
  const parts = Object.keys(apis) as Part[];
  const perCall = await interleave(parts, config.breakdownRounds, async (part) => {
    const api = apis[part];
    const stats = await measure(
      async () => {
        for (let i = 0; i < 10; i++) await api.get('admin/rest/v1/me').json();
      },
      { min_cpu_time: config.breakdownMs * 1e6, batch_threshold: 0, gc: false },
    );
    return stats.p50 / 10 / 1000;
  });
  return Object.fromEntries(parts.map((p) => [p, median(perCall[p])])) as Record<Part, number>;
}

/**
 * Figure 4: a GoTo-style call through `goToAuthHooks(auth)` beside the same call through plain
 * ky with a fixed `Authorization` header, against a node:http server in another process.
 */
export async function kyFigure(config: KyConfig): Promise<Section> {
  const server = await startWorker<{ url: string }>('api-server');
  const baseUrl = server.ready.url;
  const auth = createGoToAuth({ ...CREDENTIALS, baseUrl, logger: false });
  try {
    const token = await auth.getToken();
    const apis: Record<Exclude<Variant, 'fetch' | 'goToFetch'>, KyInstance> = {
      hooks: ky.create({ prefix: baseUrl, hooks: goToAuthHooks(auth) }),
      plain: ky.create({
        prefix: baseUrl,
        headers: { authorization: `Bearer ${token.accessToken}` },
      }),
      sketch: ky.create({ prefix: baseUrl, fetch: sketchFetch(auth, globalThis.fetch) }),
      goToKy: goToKy(auth),
    };
    const header = { authorization: `Bearer ${token.accessToken}` };
    const fetches = {
      fetch: (url: string) => fetch(url, { headers: header }),
      goToFetch: goToFetch(auth),
    };
    const meUrl = `${baseUrl}/admin/rest/v1/me`;
    const run = (v: Variant) =>
      v === 'fetch' || v === 'goToFetch'
        ? driveFetch(fetches[v], meUrl, config.calls, config.concurrency)
        : drive(apis[v], config.calls, config.concurrency);
    const variants: Variant[] = ['hooks', 'plain', 'sketch', 'goToKy', 'fetch', 'goToFetch'];
    // Warm-up (JIT, keep-alive sockets), not counted.
    for (const v of variants) await run(v);
    const rates = await interleave(variants, config.samples, run);
    const kyRatio = median(rates.goToKy.map((r, i) => r / (rates.plain[i] as number)));
    const fetchRatio = median(rates.goToFetch.map((r, i) => r / (rates.fetch[i] as number)));
    const sketchRatio = median(rates.sketch.map((r, i) => r / (rates.plain[i] as number)));
    // A round's two samples ran back to back: the median of per-round ratios resists drift.
    const ratio = median(rates.hooks.map((r, i) => r / (rates.plain[i] as number)));
    const parts = await breakdown(auth, token.accessToken, config);
    const profiled = config.profileCalls > 0 ? await profile(config.profileCalls) : undefined;
    const us = (n: number) => `${n.toFixed(1)} µs`;
    return {
      id: 4,
      title: 'ky: a GoTo call through goToKy (the README way) and goToAuthHooks vs plain ky',
      how:
        `ky 2.1, \`GET admin/rest/v1/me\` and \`.json()\`, ${config.concurrency} calls in ` +
        'flight, against a node:http server in a child process (loopback, keep-alive), beside ' +
        'plain ky and a sketch of a fetch-wrapper design. ' +
        `${config.samples} samples of ${fmtInt(config.calls)} calls per variant, interleaved ` +
        "sample by sample, after a warm-up of each; median calls/s, and the median of the rounds' " +
        'ratios. Then, to see where the ' +
        'cost goes, the same call on a `fetch` that answers at once (no network): mitata, p50 of ' +
        `samples of 10 calls, ${config.breakdownRounds} interleaved rounds, median.`,
      peers: ['plain ky, fixed header', 'fetch-wrapper sketch'],
      rows: [
        {
          // Kept working for existing users; the README's way is goToKy (the next row), which
          // carries the target: ky clones every answer for an afterResponse hook, a fetch
          // wrapper never clones a 2xx answer.
          figure: 'calls/s (loopback HTTP), goToAuthHooks (kept for existing users)',
          ours: fmtInt(median(rates.hooks)),
          peers: [fmtInt(median(rates.plain)), fmtInt(median(rates.sketch))],
          ratio: `${fmtRatio(ratio)} (sketch: ${fmtRatio(sketchRatio)})`,
          kind: 'report',
        },
        {
          figure: 'calls/s, goToKy (ky + goToFetch as its fetch), the README way',
          ours: fmtInt(median(rates.goToKy)),
          peers: [fmtInt(median(rates.plain))],
          ratio: fmtRatio(kyRatio),
          target: '≥ 0.95x',
          met: kyRatio >= 0.95,
          kind: 'speed',
        },
        {
          figure: 'calls/s, goToFetch vs bare fetch with a fixed header (no ky)',
          ours: fmtInt(median(rates.goToFetch)),
          peers: [fmtInt(median(rates.fetch))],
          ratio: fmtRatio(fetchRatio),
          target: '≥ 0.97x',
          met: fetchRatio >= 0.97,
          kind: 'speed',
        },
        {
          figure: 'client time per call, no network',
          ours: us(parts.goToAuthHooks),
          peers: [us(parts.plain), us(parts['fetch wrapper'])],
          ratio: fmtRatio(parts.plain / parts.goToAuthHooks),
          kind: 'report',
        },
        {
          figure: '… plain ky plus one empty afterResponse hook',
          ours: us(parts['empty afterResponse hook']),
          peers: [us(parts.plain)],
          ratio: fmtRatio(parts.plain / parts['empty afterResponse hook']),
          kind: 'report',
        },
        {
          figure: "… goToAuthHooks' init + beforeRequest only",
          ours: us(parts['beforeRequest part only']),
          peers: [us(parts.plain)],
          ratio: fmtRatio(parts.plain / parts['beforeRequest part only']),
          kind: 'report',
        },
      ],
      notes: [
        `Interquartile range of the samples (calls/s): goToAuthHooks ${iqr(rates.hooks, fmtInt)}, ` +
          `plain ${iqr(rates.plain, fmtInt)}, fetch-wrapper sketch ${iqr(rates.sketch, fmtInt)}. ` +
          'The sketch (in `src/ky.ts`, `sketchFetch`) sets the header in a wrapped `fetch` and ' +
          'checks 401 / 403 there, with no afterResponse hook: it shows what the other design ' +
          'would cost. It is not a full adapter (GET only, no origin check).',
        `goToKy ${iqr(rates.goToKy, fmtInt)}; bare fetch ${iqr(rates.fetch, fmtInt)}, goToFetch ` +
          `${iqr(rates.goToFetch, fmtInt)}. goToKy is \`ky.create({ prefix: auth.baseUrl, fetch: ` +
          "goToFetch(auth) })`: the full adapter of the sketch's design (origins, bodies, abort, " +
          'one retry). The fetch rows compare `goToFetch(auth)(url)` with ' +
          '`fetch(url, { headers: { authorization } })`, each reading the JSON body, in the same ' +
          'interleaved rounds.',
        ...(profiled === undefined ? [] : [profiled]),
        "What is left: ky's clone per afterResponse hook cannot be avoided from a hook. Taking " +
          "the token in a wrapped `fetch` (ky's `fetch` option) instead, checking 401 / 403 there " +
          'and retrying once, never clones a 2xx answer: the sketch column shows that design near ' +
          "plain ky. Inside goToAuthHooks' own code, `new URL(request.url).origin` on every " +
          'request (the origin check) is the largest part: comparing `request.url` with the ' +
          "configured origins plus '/' as prefixes would do without a URL parse.",
      ],
    };
  } finally {
    await auth.close();
    server.stop();
  }
}
