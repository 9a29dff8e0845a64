import { EMULATOR_DEFAULTS } from '@goto-auth/emulator';
import { emulator } from '@goto-auth/test-support';
import { describe, expect, it } from 'vitest';
import { type CliIo, EXIT_CODES, main } from '../src/index.js';

/** A terminal that answers `answer` and records what was written. */
function terminal(answer: string) {
  const out = { stdout: '', stderr: '', asked: [] as string[] };
  const io: CliIo = {
    stdout: (text) => {
      out.stdout += text;
    },
    stderr: (text) => {
      out.stderr += text;
    },
    interactive: true,
    ask: async (question) => {
      out.asked.push(question);
      return answer;
    },
  };
  return { io, out };
}

describe('token without a store, on a terminal', () => {
  it.each([
    ['y', EXIT_CODES.OK, 1],
    ['yes', EXIT_CODES.OK, 1],
    ['', EXIT_CODES.REFUSED, 0],
    ['n', EXIT_CODES.REFUSED, 0],
  ])('answering %j exits %i after %i grants', async (answer, exitCode, grants) => {
    const emu = await emulator();
    const { io, out } = terminal(answer);
    const env = {
      GOTO_CLIENT_ID: EMULATOR_DEFAULTS.clientId,
      GOTO_USER_ID: EMULATOR_DEFAULTS.userId,
      GOTO_PASSWORD: EMULATOR_DEFAULTS.password,
      GOTO_BASE_URL: emu.url,
    };
    expect(await main(['token'], { env, cwd: '/nonexistent', io })).toBe(exitCode);
    expect(out.asked).toEqual(['Mint a new token anyway? [y/N] ']);
    expect(out.stderr).toContain('revokes every other token');
    expect(emu.counters.passwordGrants).toBe(grants);
    expect(out.stdout === '').toBe(grants === 0);
  });

  it('does not ask with --force', async () => {
    const emu = await emulator();
    const { io, out } = terminal('n');
    const env = {
      GOTO_CLIENT_ID: EMULATOR_DEFAULTS.clientId,
      GOTO_USER_ID: EMULATOR_DEFAULTS.userId,
      GOTO_PASSWORD: EMULATOR_DEFAULTS.password,
      GOTO_BASE_URL: emu.url,
    };
    expect(await main(['token', '--force'], { env, cwd: '/nonexistent', io })).toBe(0);
    expect(out.asked).toEqual([]);
  });
});
