/**
 * Figure 13 (OAuth: many principals) on a short profile: its counts (Redis commands on the hot
 * path, principals held past maxPrincipals) as assertions. Its times are reported by the bench
 * only, never asserted here.
 */

import { startRedis } from '@goto-auth/test-support/redis';
import { expect, it } from 'vitest';
import { oauthPrincipals } from '../src/oauth.ts';

it('sends no Redis command for cached getToken(principal) and holds at most maxPrincipals', async () => {
  const redis = await startRedis();
  try {
    const section = await oauthPrincipals(
      { rounds: 1, minCpuTimeMs: 5, principals: 200, touched: 12_000 },
      redis,
    );
    expect(section.error).toBeUndefined();
    const correctness = section.rows.filter((row) => row.kind === 'correctness');
    expect(correctness.map((row) => [row.figure, row.met])).toEqual(
      correctness.map((row) => [row.figure, true]),
    );
    expect(correctness).toHaveLength(2);
  } finally {
    await redis.close();
  }
}, 120_000);
