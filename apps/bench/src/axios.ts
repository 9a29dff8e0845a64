import { attachGoToAuth } from '@goto-auth/axios';
import { createGoToAuth } from '@goto-auth/core';
import axios, { type AxiosInstance } from 'axios';
import { startWorker } from './lib/fork.ts';
import { fmtInt, fmtRatio } from './lib/format.ts';
import { CREDENTIALS } from './lib/goto.ts';
import type { Section } from './lib/report.ts';
import { interleave } from './lib/rounds.ts';
import { iqr, median } from './lib/stats.ts';

export interface AxiosConfig {
  /** Samples per variant. */
  samples: number;
  /** Calls per sample. */
  calls: number;
  /** Calls in flight at once. */
  concurrency: number;
}

type Variant = 'interceptors' | 'plain';

/** `calls` GETs of `/admin/rest/v1/me`, `concurrency` at a time; returns calls/s. */
async function drive(api: AxiosInstance, calls: number, concurrency: number): Promise<number> {
  let started = 0;
  const worker = async () => {
    while (started < calls) {
      started++;
      await api.get('/admin/rest/v1/me');
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return calls / ((performance.now() - t0) / 1000);
}

/**
 * A GoTo-style call through an axios instance with `attachGoToAuth` beside plain axios with a
 * fixed `Authorization` header, against a node:http server in another process.
 */
export async function axiosFigure(config: AxiosConfig): Promise<Section> {
  const server = await startWorker<{ url: string }>('api-server');
  const baseUrl = server.ready.url;
  const auth = createGoToAuth({ ...CREDENTIALS, baseUrl, logger: false });
  try {
    const token = await auth.getToken();
    const attached = axios.create({ baseURL: baseUrl });
    attachGoToAuth(attached, auth);
    const apis: Record<Variant, AxiosInstance> = {
      interceptors: attached,
      plain: axios.create({
        baseURL: baseUrl,
        headers: { authorization: `Bearer ${token.accessToken}` },
      }),
    };
    const variants: Variant[] = ['interceptors', 'plain'];
    for (const v of variants) await drive(apis[v], config.calls, config.concurrency);
    const rates = await interleave(variants, config.samples, (v) =>
      drive(apis[v], config.calls, config.concurrency),
    );
    const ratio = median(rates.interceptors.map((r, i) => r / (rates.plain[i] as number)));
    return {
      id: 10,
      title: 'axios: a GoTo call through attachGoToAuth vs plain axios with a fixed header',
      how:
        `axios 1.x, \`GET /admin/rest/v1/me\` (JSON parsed by axios), ${config.concurrency} ` +
        'calls in flight, against a node:http server in a child process (loopback, keep-alive). ' +
        `${config.samples} samples of ${fmtInt(config.calls)} calls per variant, interleaved ` +
        "sample by sample, after a warm-up of each; median calls/s, and the median of the rounds' " +
        'ratios.',
      peers: ['plain axios, fixed header'],
      rows: [
        {
          figure: 'calls/s (loopback HTTP)',
          ours: fmtInt(median(rates.interceptors)),
          peers: [fmtInt(median(rates.plain))],
          ratio: fmtRatio(ratio),
          target: '≥ 0.95x',
          met: ratio >= 0.95,
          kind: 'speed',
        },
      ],
      notes: [
        `Interquartile range of the samples (calls/s): attachGoToAuth ${iqr(rates.interceptors, fmtInt)}, ` +
          `plain ${iqr(rates.plain, fmtInt)}. With a cached token only a synchronous request ` +
          "interceptor runs (axios's `runWhen` picks it), so axios keeps its synchronous request " +
          'path; it reads `auth.cachedToken()` and sets one header. The response interceptor ' +
          'returns a 2xx answer at once.',
      ],
    };
  } finally {
    await auth.close();
    server.stop();
  }
}
