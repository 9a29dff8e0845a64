#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EMULATOR_DEFAULTS } from './defaults.js';
import { startEmulator } from './emulator.js';
import type { EmulatorOptions, GoToEmulator } from './types.js';

const USAGE = `Usage: goto-emulator [options]

Serves GoTo's token endpoints for offline development and tests: Direct Login
(POST /oauth/access_token, POST /oauth/v2/token), POST /oauth/token (password, refresh_token,
authorization_code, personal_access_token), the GET /oauth/authorize consent page (add
auto=approve or auto=deny to answer at once), GET /admin/rest/v1/me and
GET /identity/v1/Users/me.

Options (each also read from the environment variable shown):
  --port <n>               GOTO_EMULATOR_PORT                   4010 (0: any free port)
  --host <addr>            GOTO_EMULATOR_HOST                   127.0.0.1
  --client-id <id>         GOTO_EMULATOR_CLIENT_ID              ${EMULATOR_DEFAULTS.clientId}
  --client-secret <s>      GOTO_EMULATOR_CLIENT_SECRET          ${EMULATOR_DEFAULTS.clientSecret}
  --user-id <id>           GOTO_EMULATOR_USER_ID                ${EMULATOR_DEFAULTS.userId}
  --password <p>           GOTO_EMULATOR_PASSWORD               ${EMULATOR_DEFAULTS.password}
  --pat <token>            GOTO_EMULATOR_PAT                    ${EMULATOR_DEFAULTS.personalAccessToken}
  --redirect-uri <uri>     GOTO_EMULATOR_REDIRECT_URI           any loopback http(s) URI
  --access-token-ttl <s>   GOTO_EMULATOR_ACCESS_TOKEN_TTL       3600
  --refresh-token-ttl <s>  GOTO_EMULATOR_REFRESH_TOKEN_TTL      2592000 (30 days)
  --refresh-token-reuse    GOTO_EMULATOR_REFRESH_TOKEN_REUSE    v2/token: refresh tokens not single use
  --rotate-refresh-tokens  GOTO_EMULATOR_ROTATE_REFRESH_TOKENS  /oauth/token rotates refresh tokens
  --rate-limit             GOTO_EMULATOR_RATE_LIMIT             10 requests/s per API, then 429
  --authentication-host    GOTO_EMULATOR_AUTHENTICATION_HOST    auth paths on a 2nd port (see README)
  --no-revoke              GOTO_EMULATOR_NO_REVOKE              new tokens do not revoke others
  --verbose                GOTO_EMULATOR_VERBOSE                log every request (no secrets)
  -h, --help               print this help

Boolean variables take 1/true/yes or 0/false/no.

Prefer the environment for secrets: command lines are visible to other local users.`;

const FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  'user-id': { type: 'string' },
  password: { type: 'string' },
  pat: { type: 'string' },
  'redirect-uri': { type: 'string' },
  'access-token-ttl': { type: 'string' },
  'refresh-token-ttl': { type: 'string' },
  'refresh-token-reuse': { type: 'boolean' },
  'rotate-refresh-tokens': { type: 'boolean' },
  'rate-limit': { type: 'boolean' },
  'authentication-host': { type: 'boolean' },
  'no-revoke': { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Flag = Exclude<keyof typeof FLAGS, 'help'>;

class UsageError extends Error {}

/** Where {@link main} writes its lines. */
export interface CliIo {
  /** Normal output: the listening line, request lines with `--verbose`, help. */
  log(line: string): void;
  /** Errors. */
  error(line: string): void;
}

/** What {@link main} started. */
export interface CliRun {
  /**
   * `0` when the emulator runs or help was printed, `1` when it could not start, `2` on a
   * usage error.
   */
  readonly exitCode: number;
  /** The running emulator, when one started. */
  readonly emulator?: GoToEmulator;
  /** Resolves once the emulator has stopped (SIGINT, SIGTERM or `stop()`), or at once if none. */
  readonly done: Promise<void>;
  /** Closes the emulator and removes the signal handlers. Idempotent. */
  stop(): Promise<void>;
}

const consoleIo: CliIo = {
  log: (line) => console.log(line),
  error: (line) => console.error(line),
};

function envName(flag: Flag): string {
  return `GOTO_EMULATOR_${flag.toUpperCase().replace(/-/g, '_')}`;
}

function integer(text: string, flag: Flag, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    throw new UsageError(
      `--${flag} (or ${envName(flag)}) must be an integer from ${min} to ${max}`,
    );
  }
  return value;
}

/**
 * Runs the `goto-emulator` command: parses flags (falling back to `GOTO_EMULATOR_*` variables),
 * starts the emulator, logs one line, and stops on SIGINT or SIGTERM.
 *
 * @param argv - arguments after the script name (default `process.argv.slice(2)`)
 * @param env - where `GOTO_EMULATOR_*` variables are read (default `process.env`)
 * @param io - where lines are written (default `console`)
 * @returns the run; its `exitCode` is for the caller to apply (tests call this in-process)
 */
export async function main(
  argv: readonly string[] = process.argv.slice(2),
  env: Readonly<Record<string, string | undefined>> = process.env,
  io: CliIo = consoleIo,
): Promise<CliRun> {
  const idle: CliRun = { exitCode: 0, done: Promise.resolve(), stop: () => Promise.resolve() };
  let options: EmulatorOptions;
  try {
    const { values } = parseArgs({ args: [...argv], options: FLAGS, strict: true });
    if (values.help) {
      io.log(USAGE);
      return idle;
    }
    const text = (flag: Flag): string | undefined => {
      const value = values[flag] ?? env[envName(flag)];
      return typeof value === 'string' && value !== '' ? value : undefined;
    };
    const flag = (name: Flag): boolean => {
      const value = values[name] ?? env[envName(name)];
      if (typeof value === 'boolean' || value === undefined) return value ?? false;
      if (/^(1|true|yes)$/i.test(value)) return true;
      if (/^(0|false|no|)$/i.test(value)) return false;
      throw new UsageError(`${envName(name)} must be 1/true/yes or 0/false/no`);
    };
    const ttl = (name: Flag): number | undefined => {
      const value = text(name);
      return value === undefined ? undefined : integer(value, name, 1, 2 ** 31 - 1);
    };
    const port = text('port');
    const redirectUri = text('redirect-uri');
    options = {
      port: port === undefined ? 4010 : integer(port, 'port', 0, 65535),
      host: text('host') ?? '127.0.0.1',
      clients: [
        {
          clientId: text('client-id') ?? EMULATOR_DEFAULTS.clientId,
          clientSecret: text('client-secret') ?? EMULATOR_DEFAULTS.clientSecret,
          revokeOnNewToken: !flag('no-revoke'),
          redirectUris: redirectUri === undefined ? undefined : [redirectUri],
        },
      ],
      users: [
        {
          userId: text('user-id') ?? EMULATOR_DEFAULTS.userId,
          password: text('password') ?? EMULATOR_DEFAULTS.password,
          organizerKey: EMULATOR_DEFAULTS.organizerKey,
          accountKey: EMULATOR_DEFAULTS.accountKey,
          firstName: EMULATOR_DEFAULTS.firstName,
          lastName: EMULATOR_DEFAULTS.lastName,
          personalAccessTokens: [text('pat') ?? EMULATOR_DEFAULTS.personalAccessToken],
        },
      ],
      accessTokenTtlSeconds: ttl('access-token-ttl'),
      refreshTokenTtlSeconds: ttl('refresh-token-ttl'),
      refreshTokenReuse: flag('refresh-token-reuse'),
      rotateRefreshTokens: flag('rotate-refresh-tokens'),
      rateLimit: flag('rate-limit'),
      authenticationHost: flag('authentication-host'),
      logger: flag('verbose') ? (line) => io.log(line) : undefined,
    };
  } catch (error) {
    io.error(`goto-emulator: ${error instanceof Error ? error.message : String(error)}`);
    io.error('Run goto-emulator --help for usage.');
    return { ...idle, exitCode: 2 };
  }

  let emulator: GoToEmulator;
  try {
    emulator = await startEmulator(options);
  } catch (error) {
    io.error(`goto-emulator: cannot start: ${error instanceof Error ? error.message : error}`);
    return { ...idle, exitCode: 1 };
  }

  const stopped = { resolve: (): void => {} };
  const done = new Promise<void>((resolve) => {
    stopped.resolve = resolve;
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await emulator.close();
      stopped.resolve();
    })();
    return stopping;
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    io.log(`goto-emulator: ${signal} received, shutting down`);
    stop().catch((error: unknown) => io.error(`goto-emulator: ${String(error)}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const clientId = options.clients?.[0]?.clientId;
  const userId = options.users?.[0]?.userId;
  const auth = emulator.authUrl === emulator.url ? '' : `, authentication host ${emulator.authUrl}`;
  io.log(
    `goto-emulator listening on ${emulator.url}${auth} (client_id ${clientId}, user ${userId})`,
  );
  return { exitCode: 0, emulator, done, stop };
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main().then((run) => {
    if (run.exitCode !== 0) process.exitCode = run.exitCode;
  });
}
