/**
 * `pnpm bench`: measures every figure and writes apps/bench/RESULTS.md and contention.svg.
 * `pnpm bench:smoke` (`--smoke`): a quick pass of every figure, written to a temp directory.
 * `--only=1,5`: just those figures (for development).
 *
 * Exits non-zero when a figure fails or a correctness target is missed; speed and size targets
 * are reported in RESULTS.md, not gated on (the machine is shared and noisy).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RedisServer, startRedis } from '@goto-auth/test-support/redis';
import { type AxiosConfig, axiosFigure } from './axios.ts';
import { type ContentionConfig, contention } from './contention.ts';
import { type ExpressConfig, expressFigure } from './express.ts';
import { type FastifyConfig, fastifyFigure } from './fastify.ts';
import { type HerdConfig, herd } from './herd.ts';
import { type HotPathConfig, hotPath } from './hot-path.ts';
import { type KyConfig, kyFigure } from './ky.ts';
import { misses, renderResults, type Section } from './lib/report.ts';
import { memory } from './memory.ts';
import { type OAuthPrincipalsConfig, oauthPrincipals } from './oauth.ts';
import { otelFigure } from './otel.ts';
import type { MomentId } from './reliability.ts';
import { reliability } from './reliability-report.ts';
import { size } from './size.ts';
import { storeCost } from './store-cost.ts';

const smoke = process.argv.includes('--smoke');
const only = process.argv
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',')
  .map(Number);

interface Profile {
  hot: HotPathConfig;
  express: ExpressConfig;
  fastify: FastifyConfig;
  ky: KyConfig;
  axios: AxiosConfig;
  herd: HerdConfig;
  memoryCycles: number;
  contention: ContentionConfig;
  oauth: OAuthPrincipalsConfig;
  /** Matrix columns to run; all when undefined. */
  moments: readonly MomentId[] | undefined;
}

const FULL: Profile = {
  hot: { rounds: 25, minCpuTimeMs: 100 },
  express: { samples: 20, seconds: 1, connections: 16, profileSeconds: 4 },
  fastify: { samples: 20, seconds: 1, connections: 16 },
  ky: {
    samples: 30,
    calls: 400,
    concurrency: 8,
    breakdownMs: 300,
    breakdownRounds: 7,
    profileCalls: 5000,
  },
  axios: { samples: 30, calls: 400, concurrency: 8 },
  herd: { callers: 10_000, processes: 8, lifetimes: 3, ttlSeconds: 5 },
  memoryCycles: 10_000,
  contention: { processes: [1, 2, 4, 8], lifetimes: 3, ttlSeconds: 5, intervalMs: 50 },
  oauth: { rounds: 25, minCpuTimeMs: 100, principals: 1000, touched: 100_000 },
  moments: undefined,
};
const SMOKE: Profile = {
  hot: { rounds: 6, minCpuTimeMs: 50 },
  express: { samples: 2, seconds: 1, connections: 16, profileSeconds: 0 },
  fastify: { samples: 2, seconds: 1, connections: 16 },
  ky: {
    samples: 8,
    calls: 200,
    concurrency: 8,
    breakdownMs: 100,
    breakdownRounds: 3,
    profileCalls: 0,
  },
  axios: { samples: 8, calls: 200, concurrency: 8 },
  herd: { callers: 10_000, processes: 3, lifetimes: 1, ttlSeconds: 4 },
  memoryCycles: 3000,
  contention: { processes: [1, 2], lifetimes: 1, ttlSeconds: 3, intervalMs: 50 },
  oauth: { rounds: 6, minCpuTimeMs: 50, principals: 1000, touched: 30_000 },
  // The whole matrix runs in `pnpm test` (test/reliability.test.ts); smoke takes one column.
  moments: ['cold-start'],
};

const profile = smoke ? SMOKE : FULL;
const outDir = smoke
  ? join(tmpdir(), 'goto-auth-bench-smoke')
  : fileURLToPath(new URL('../', import.meta.url));

async function main(): Promise<number> {
  const startedAt = new Date();
  const t0 = performance.now();
  const sections: Section[] = [];
  let svg: string | undefined;
  let redis: RedisServer | undefined;
  const needsRedis = [2, 5, 8, 13].some((id) => only === undefined || only.includes(id));
  if (needsRedis) redis = await startRedis();

  const figures: [number, string, () => Promise<Section>][] = [
    [1, 'hot path', () => hotPath(profile.hot)],
    // The other nanosecond figure measured in this process runs next, like figure 1 before the
    // figures that leave large heaps and many workers behind (measured after them it read
    // 1.4x its floor, alone 1.05x). RESULTS.md lists the sections by number.
    [13, 'oauth principals', () => oauthPrincipals(profile.oauth, redis as RedisServer)],
    [2, 'shared store cost', () => storeCost(redis as RedisServer)],
    [3, 'express', () => expressFigure(profile.express)],
    [4, 'ky', () => kyFigure(profile.ky)],
    [5, 'herd', () => herd(profile.herd, redis as RedisServer)],
    [6, 'size', () => size()],
    [7, 'memory', () => memory(profile.memoryCycles)],
    [
      8,
      'the picture',
      async () => {
        const result = await contention(profile.contention, redis as RedisServer);
        svg = result.svg;
        return result.section;
      },
    ],
    [9, 'reliability', () => reliability({ moments: profile.moments })],
    [10, 'axios', () => axiosFigure(profile.axios)],
    [11, 'metrics on', () => otelFigure(profile.hot)],
    [12, 'fastify', () => fastifyFigure(profile.fastify)],
  ];
  try {
    for (const [id, name, run] of figures) {
      if (only !== undefined && !only.includes(id)) continue;
      const started = performance.now();
      process.stdout.write(`[bench] ${id}. ${name}… `);
      let section: Section;
      try {
        section = await run();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        section = { id, title: name, how: '', peers: [], rows: [], notes: [], error: message };
      }
      section.elapsedMs = performance.now() - started;
      sections.push(section);
      const missed = section.rows.filter((r) => r.met === false).length;
      console.log(
        `${(section.elapsedMs / 1000).toFixed(1)} s${section.error ? ` FAILED: ${section.error}` : ''}${missed ? ` (${missed} target${missed === 1 ? '' : 's'} not met)` : ''}`,
      );
    }
  } finally {
    await redis?.close();
  }

  sections.sort((a, b) => a.id - b.id);
  const markdown = renderResults({ smoke, startedAt, elapsedMs: performance.now() - t0 }, sections);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'RESULTS.md'), markdown);
  if (svg !== undefined) writeFileSync(join(outDir, 'contention.svg'), svg);
  console.log(`[bench] wrote ${join(outDir, 'RESULTS.md')}${svg ? ' and contention.svg' : ''}`);
  for (const section of sections) {
    for (const row of section.rows) {
      if (row.met === undefined) continue;
      console.log(
        `  ${row.met ? 'met    ' : 'NOT MET'} ${section.id}. ${row.figure}: ${row.ours}${row.ratio ? ` (${row.ratio})` : ''}; target ${row.target}`,
      );
    }
  }
  console.log(`[bench] total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const failed = sections.filter((s) => s.error !== undefined).length;
  const wrong = misses(sections, ['correctness']).length;
  if (failed > 0 || wrong > 0) {
    console.error(`[bench] ${failed} figure(s) failed, ${wrong} correctness target(s) missed`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
