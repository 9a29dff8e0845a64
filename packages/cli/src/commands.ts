import {
  createGoToAuth,
  type GoToAuthLogger,
  type GoToToken,
  isGoToAuthError,
  tokenStoreKey,
} from '@goto-auth/core';
import {
  CliError,
  type Env,
  EXIT_CODES,
  type ExitCode,
  readCredentials,
  readIdentity,
  readStore,
  type StoreSettings,
} from './config.js';
import { type OpenStore, openStore } from './store.js';

/** Where the CLI reads and writes: the process's streams, or a test's. */
export interface CliIo {
  /** Standard output: the token (`token`), the status, help. */
  stdout(text: string): void;
  /** Standard error: warnings, errors, the prompt. */
  stderr(text: string): void;
  /** Whether a person can answer a prompt (standard input is a terminal). */
  readonly interactive: boolean;
  /** Asks a question on standard error and resolves the answer line. */
  ask(question: string): Promise<string>;
}

/** What the `token` and `status` commands take from the command line. */
export interface CommandFlags {
  /** `--redis-url`: overrides `REDIS_URL`. */
  redisUrl?: string | undefined;
  /** `--key-prefix`: overrides `GOTO_KEY_PREFIX`. */
  keyPrefix?: string | undefined;
  /** `--force`: mint without a store when standard input is not a terminal. */
  force?: boolean | undefined;
  /** `--json`: `status` prints JSON. */
  json?: boolean | undefined;
  /** `--verbose`: core's log lines on standard error. */
  verbose?: boolean | undefined;
}

/** What `token` says on standard error before minting without a store. */
export const REVOCATION_WARNING =
  'goto-auth: no token store is configured (REDIS_URL or --redis-url), so this mints a new token.\n' +
  'In GoToAssist Corporate a new token revokes every other token of the application: production\n' +
  'stops working until it mints again (and revokes this one). Point REDIS_URL at the store\n' +
  'production uses to reuse its token instead.\n';

function stderrLogger(io: CliIo, verbose: boolean): GoToAuthLogger {
  const line = (message: string): void => io.stderr(`${message}\n`);
  return verbose
    ? { debug: line, info: line, warn: line, error: line }
    : { warn: line, error: line };
}

function failure(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (isGoToAuthError(error)) {
    const code: ExitCode =
      error.code === 'STORE_ERROR' ? EXIT_CODES.STORE_UNAVAILABLE : EXIT_CODES.FAILED;
    const nothing = code === EXIT_CODES.STORE_UNAVAILABLE ? ' Nothing was minted.' : '';
    return new CliError(`${error.code}: ${error.message}${nothing}`, code);
  }
  return new CliError(error instanceof Error ? error.message : String(error), EXIT_CODES.FAILED);
}

async function confirmMint(io: CliIo, force: boolean): Promise<void> {
  io.stderr(REVOCATION_WARNING);
  if (force) return;
  if (!io.interactive) {
    throw new CliError(
      'Refusing to mint without a store when standard input is not a terminal: pass --force to mint anyway.',
      EXIT_CODES.REFUSED,
    );
  }
  const answer = await io.ask('Mint a new token anyway? [y/N] ');
  if (!/^\s*y(es)?\s*$/i.test(answer)) {
    throw new CliError('Nothing minted.', EXIT_CODES.REFUSED);
  }
}

/**
 * `goto-auth token`: the store's token when a store is configured (minting through its lock
 * only when it has none), else a new token after a warning and `--force` or a "y".
 */
export async function tokenCommand(env: Env, flags: CommandFlags, io: CliIo): Promise<ExitCode> {
  const credentials = readCredentials(env);
  const settings = readStore(env, flags);
  let opened: OpenStore | undefined;
  if (settings === undefined) await confirmMint(io, flags.force === true);
  else opened = await openStore(settings);
  const auth = createGoToAuth({
    ...credentials,
    ...(opened === undefined ? {} : { store: opened.store }),
    // A store failure must stop the command: minting beside the store would revoke production's token.
    onStoreError: 'fail',
    logger: stderrLogger(io, flags.verbose === true),
  });
  let token: GoToToken;
  try {
    token = await auth.getToken();
  } catch (error) {
    throw failure(error);
  } finally {
    await auth.close();
    await opened?.close();
  }
  io.stdout(`${token.accessToken}\n`);
  return EXIT_CODES.OK;
}

/** What `goto-auth status --json` prints. No secret: no token, no password, no Redis password. */
export interface StatusReport {
  /** Where the token was looked for; `null` without a store. */
  store: {
    /** The kind of store. */
    type: 'redis';
    /** The Redis URL, without its password. */
    url: string;
    /** The key prefix the store uses. */
    keyPrefix: string;
  } | null;
  /**
   * `'valid'`: the store holds a token that has not expired; `'expired'`: it holds an expired
   * one; `'empty'`: none (or no store: a fresh process has nothing cached); `'unknown'`: the
   * store could not be read (see `lastError`).
   */
  state: 'valid' | 'expired' | 'empty' | 'unknown';
  /** The token's expiry, in epoch ms. */
  expiresAt: number | null;
  /** When the token was minted (its grant request sent), in epoch ms. */
  lastRefreshAt: number | null;
  /** Whether a refresh token is stored with it, and until when it lives. */
  refreshToken: {
    /** When the refresh token expires, in epoch ms, when known. */
    expiresAt: number | null;
  } | null;
  /** What went wrong in this look-up, if anything. Never a secret. */
  lastError: {
    /** The error's code. */
    code: string;
    /** What happened, for a person. */
    message: string;
    /** When, in epoch ms. */
    at: number;
  } | null;
}

function when(at: number, now: number): string {
  const minutes = Math.round((at - now) / 60_000);
  const relative =
    minutes === 0 ? 'now' : minutes > 0 ? `in ${minutes} min` : `${-minutes} min ago`;
  return `${new Date(at).toISOString()} (${relative})`;
}

function render(report: StatusReport, now: number): string {
  const rows: [string, string][] = [
    [
      'store',
      report.store === null
        ? 'none (set REDIS_URL or --redis-url to read the shared token)'
        : `${report.store.url} (key prefix ${report.store.keyPrefix})`,
    ],
    ['state', report.state],
    ['expires', report.expiresAt === null ? '-' : when(report.expiresAt, now)],
    ['last refresh', report.lastRefreshAt === null ? '-' : when(report.lastRefreshAt, now)],
    [
      'refresh token',
      report.refreshToken === null
        ? 'none'
        : report.refreshToken.expiresAt === null
          ? 'present'
          : `present, expires ${when(report.refreshToken.expiresAt, now)}`,
    ],
    [
      'last error',
      report.lastError === null ? 'none' : `${report.lastError.code}: ${report.lastError.message}`,
    ],
  ];
  const lines = rows.map(([name, value]) => `${`${name}:`.padEnd(15)}${value}`);
  if (report.store === null) {
    lines.push(
      '',
      'Without a store there is nothing to show: a fresh process has no token cached, and',
      'status never mints one. Ask the running application (its status() or health check).',
    );
  }
  return `${lines.join('\n')}\n`;
}

function tokenReport(store: StatusReport['store'], token: GoToToken | undefined, now: number) {
  const report: StatusReport = {
    store,
    state: token === undefined ? 'empty' : now < token.expiresAt ? 'valid' : 'expired',
    expiresAt: token?.expiresAt ?? null,
    lastRefreshAt: token?.issuedAt ?? null,
    refreshToken:
      token?.refreshToken === undefined ? null : { expiresAt: token.refreshTokenExpiresAt ?? null },
    lastError: null,
  };
  return report;
}

/**
 * `goto-auth status`: reads the store's token (never minting) and reports its state without
 * secrets. Exits 0 when the look-up worked, whatever the state; 6 when the store failed.
 */
export async function statusCommand(
  env: Env,
  flags: CommandFlags,
  io: CliIo,
  now: () => number = Date.now,
): Promise<ExitCode> {
  const settings: StoreSettings | undefined = readStore(env, flags);
  let report: StatusReport;
  let exitCode: ExitCode = EXIT_CODES.OK;
  if (settings === undefined) {
    report = tokenReport(null, undefined, now());
  } else {
    const identity = readIdentity(env);
    const store = {
      type: 'redis' as const,
      url: settings.display,
      keyPrefix: settings.keyPrefix ?? 'goto-auth:',
    };
    let opened: OpenStore | undefined;
    try {
      opened = await openStore(settings);
      const entry = await opened.store.get(await tokenStoreKey(identity));
      report = tokenReport(store, entry?.token, now());
    } catch (error) {
      const cause = failure(error);
      if (cause.exitCode !== EXIT_CODES.STORE_UNAVAILABLE) throw cause;
      exitCode = cause.exitCode;
      report = tokenReport(store, undefined, now());
      report.state = 'unknown';
      report.lastError = {
        code: isGoToAuthError(error) ? error.code : 'STORE_ERROR',
        message: cause.message,
        at: now(),
      };
    } finally {
      await opened?.close();
    }
  }
  io.stdout(flags.json === true ? `${JSON.stringify(report, null, 2)}\n` : render(report, now()));
  return exitCode;
}
