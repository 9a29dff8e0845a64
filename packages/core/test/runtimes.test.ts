/**
 * The same checks in every runtime core supports: Node, Deno, Bun and Cloudflare's workerd.
 * Core is bundled from its dist as an application would bundle it (esbuild, platform neutral),
 * run in each runtime, and talks to an emulator in this process over loopback. The dist is
 * built here first, so the test never bundles a stale one and passes from a fresh clone.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { EMULATOR_DEFAULTS, type GoToEmulator } from '@goto-auth/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  emulator,
  expectSixCallsOneGrant,
  me,
  onCleanup,
} from '../../../tools/test-support/src/index.ts';
import {
  bundle,
  type ProcessRuntime,
  runScript,
  startWorkerd,
  type Workerd,
} from '../../../tools/test-support/src/runtimes.ts';
import type { CheckInput, CheckName, CheckResult } from './fixtures/runtimes/checks.ts';

beforeAll(async () => {
  await promisify(execFile)('pnpm', ['exec', 'tsdown', '--log-level', 'warn'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
  });
}, 120_000);

const fixture = (file: string) =>
  fileURLToPath(new URL(`./fixtures/runtimes/${file}`, import.meta.url));

let cliCode: Promise<string> | undefined;
const cli = () => {
  cliCode ??= bundle(fixture('cli.ts'));
  return cliCode;
};

function input(emu: GoToEmulator, check: CheckName, password?: string): CheckInput {
  return {
    check,
    baseUrl: emu.url,
    clientId: EMULATOR_DEFAULTS.clientId,
    clientSecret: EMULATOR_DEFAULTS.clientSecret,
    userId: EMULATOR_DEFAULTS.userId,
    password: password ?? EMULATOR_DEFAULTS.password,
  };
}

function parse(text: string, where: string): CheckResult {
  const line = text.trim().split('\n').at(-1) ?? '';
  let result: CheckResult;
  try {
    result = JSON.parse(line) as CheckResult;
  } catch {
    throw new Error(`${where} printed no result:\n${text}`);
  }
  if (result.crash !== undefined) throw new Error(`the check crashed in ${where}: ${result.crash}`);
  return result;
}

type Run = (emu: GoToEmulator, check: CheckName, password?: string) => Promise<CheckResult>;

/** Runs a check in a fresh process of `runtime`; fails when the process does not exit by itself. */
function processRun(runtime: ProcessRuntime): Run {
  return async (emu, check, password) => {
    const result = await runScript(runtime, await cli(), [
      JSON.stringify(input(emu, check, password)),
    ]);
    if (result.timedOut) {
      throw new Error(
        `${runtime} did not exit after the ${check} check: a timer or socket kept it alive.\n${result.stdout}${result.stderr}`,
      );
    }
    if (result.code !== 0) {
      throw new Error(`${runtime} exited with ${result.code}:\n${result.stdout}${result.stderr}`);
    }
    return parse(result.stdout, runtime);
  };
}

const PROCESS_RUNTIMES: ProcessRuntime[] = ['node', 'deno', 'bun'];

describe.each([...PROCESS_RUNTIMES, 'workerd' as const])('core in %s', (runtime) => {
  let workerd: Workerd | undefined;
  let run: Run;

  beforeAll(async () => {
    if (runtime !== 'workerd') {
      run = processRun(runtime);
      return;
    }
    // No compatibility flags: core needs no nodejs_compat.
    const started = await startWorkerd(await bundle(fixture('worker.ts')));
    workerd = started;
    run = async (emu, check, password) => {
      const response = await fetch(started.url, {
        method: 'POST',
        body: JSON.stringify(input(emu, check, password)),
      });
      const text = await response.text();
      if (response.status !== 200) {
        throw new Error(`workerd answered ${response.status}:\n${text}\n${started.stderr()}`);
      }
      return parse(text, 'workerd');
    };
  });
  afterAll(() => workerd?.close());

  it('gets a token from the emulator over loopback, then serves it from the cache', async () => {
    const emu = await emulator();
    const result = await run(emu, 'grant');
    expect(result).toMatchObject({
      tokenType: 'Bearer',
      organizerKey: EMULATOR_DEFAULTS.organizerKey,
      cached: true,
    });
    expect(result.expiresIn).toBeGreaterThan(3_000_000);
    expect(result.expiresIn).toBeLessThanOrEqual(3_600_000);
    expect(await me(emu, result.tokens?.[0] ?? '')).toBe(200);
    expect(emu.counters.passwordGrants).toBe(1);
  });

  it('makes one grant for eight concurrent callers', async () => {
    const emu = await emulator();
    const { tokens = [] } = await run(emu, 'single-flight');
    expect(tokens).toHaveLength(8);
    expect(new Set(tokens).size).toBe(1);
    expect(emu.counters.passwordGrants + emu.counters.refreshGrants).toBe(1);
  });

  it('gets a fresh token after invalidate()', async () => {
    const emu = await emulator();
    const { tokens = [], invalidated } = await run(emu, 'invalidate');
    expect(invalidated).toBe(true);
    expect(tokens).toHaveLength(2);
    expect(tokens[1]).not.toBe(tokens[0]);
    expect(await me(emu, tokens[0] ?? '')).toBe(403);
    expect(await me(emu, tokens[1] ?? '')).toBe(200);
    expect(emu.counters.passwordGrants + emu.counters.refreshGrants).toBe(2);
  });

  it('fails with INVALID_CREDENTIALS for a wrong password, which it does not leak', async () => {
    const emu = await emulator();
    const { error } = await run(emu, 'invalid-credentials', 'runtime-wrong-password-4b1e');
    expect(error).toEqual({
      name: 'GoToAuthError',
      code: 'INVALID_CREDENTIALS',
      isGoToAuthError: true,
      instanceOfGoToAuthError: true,
      leaksPassword: false,
    });
    expect(emu.counters.tokenErrors).toBe(1);
    expect(emu.counters.passwordGrants).toBe(0);
  });

  it('fails with TIMEOUT when the emulator answers after the timeout', async () => {
    const emu = await emulator();
    emu.fault({ type: 'latency', ms: 60_000 });
    const { error } = await run(emu, 'timeout');
    expect(error).toMatchObject({ code: 'TIMEOUT', isGoToAuthError: true, leaksPassword: false });
    expect(emu.counters.faults).toBe(1);
  });

  it('fails with CLOSED after close()', async () => {
    const emu = await emulator();
    const { error, closedState } = await run(emu, 'close');
    expect(error).toMatchObject({ code: 'CLOSED', isGoToAuthError: true });
    expect(closedState).toBe('closed');
    expect(emu.counters.passwordGrants).toBe(1);
  });

  it('signs a user in through the signed state cookie, and refuses a forged one', async () => {
    const emu = await emulator();
    const { principal, cookieAttributes, error } = await run(emu, 'sign-in');
    expect(principal).toEqual(expect.any(String));
    expect(principal).not.toBe('');
    expect(cookieAttributes?.sort()).toEqual(
      ['HttpOnly', 'Max-Age=600', 'Path=/auth/callback', 'SameSite=Lax'].sort(),
    );
    // `leaksPassword` here means the client secret: the check passes it as the secret to find.
    expect(error).toMatchObject({
      code: 'STATE_MISMATCH',
      isGoToAuthError: true,
      leaksPassword: false,
    });
    expect(emu.counters.authorizationCodeGrants).toBe(1);
  });

  if (runtime !== 'workerd') {
    // workerd has no process to keep alive.
    it('lets the process exit when close() is forgotten (the refresh timer does not hold it)', async () => {
      const emu = await emulator();
      const { tokens = [] } = await run(emu, 'no-close');
      expect(tokens).toHaveLength(1);
      expect(emu.counters.passwordGrants).toBe(1);
    });
  }
});

describe("the README's Worker", () => {
  it('is the code the README shows', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## In a Cloudflare Worker'));
    const shown = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');
    const code = readFileSync(fixture('readme-worker.ts'), 'utf8').replace('_request', 'request');
    expect(lines(shown).length).toBeGreaterThan(10);
    expect(lines(code)).toEqual(expect.arrayContaining(lines(shown)));
  });

  it('shares one module-scope auth object between concurrent requests of an isolate', async () => {
    const emu = await emulator();
    // The grant is slow, so the requests overlap while it is in flight.
    emu.fault({ type: 'latency', ms: 200 });
    const worker = await startWorkerd(await bundle(fixture('readme-worker.ts')), {
      bindings: {
        GOTO_CLIENT_ID: EMULATOR_DEFAULTS.clientId,
        GOTO_USER_ID: EMULATOR_DEFAULTS.userId,
        GOTO_PASSWORD: EMULATOR_DEFAULTS.password,
        GOTO_BASE_URL: emu.url,
      },
    });
    onCleanup(() => worker.close());
    await expectSixCallsOneGrant(worker.url, emu);
  });
});
