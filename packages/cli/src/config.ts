import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { checkGoToUrl, DEFAULT_BASE_URL } from '@goto-auth/core';

/**
 * The exit codes of `goto-auth`, for scripts that branch on them.
 */
export const EXIT_CODES = {
  /** Done. */
  OK: 0,
  /** No token could be had from GoTo (credentials rejected, network, GoTo down...). */
  FAILED: 1,
  /** Unknown command or flag. */
  USAGE: 2,
  /** A required setting is missing (`GOTO_CLIENT_ID`, `GOTO_USER_ID`, `GOTO_PASSWORD`). */
  CONFIG_MISSING: 3,
  /** A setting is present but unusable (a bad URL, key or `.env` file). */
  CONFIG_INVALID: 4,
  /** Minting without a store was refused: no `--force` off a terminal, or "no" at the prompt. */
  REFUSED: 5,
  /** The token store (Redis) could not be read or written: nothing was minted. */
  STORE_UNAVAILABLE: 6,
} as const;

/** One of {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** A problem that ends the command with `exitCode`. Its message names settings, never values. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

/** The environment as the CLI sees it. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * The process environment over a `.env` file: a variable set in the environment wins, as with
 * `node --env-file` and dotenv (the flag is not `--env-file`: Node 20 reads that one itself,
 * wherever it stands on the command line). `path` given: the file must exist. Not given: `./.env` is read
 * when present.
 */
export function loadEnv(env: Env, cwd: string, path: string | undefined): Env {
  const file = resolve(cwd, path ?? '.env');
  if (!existsSync(file)) {
    if (path === undefined) return env;
    throw new CliError(`--dotenv: ${path} does not exist.`, EXIT_CODES.CONFIG_INVALID);
  }
  let parsed: Record<string, string | undefined>;
  try {
    parsed = parseEnv(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError(`Cannot read ${file}: ${reason}`, EXIT_CODES.CONFIG_INVALID);
  }
  const merged: Record<string, string | undefined> = { ...parsed };
  for (const [name, value] of Object.entries(env)) if (value !== undefined) merged[name] = value;
  return merged;
}

/** Blank counts as unset: `GOTO_PASSWORD= goto-auth token` is a mistake, not an empty password. */
function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** What identifies the token: enough to find it in a store. */
export interface Identity {
  clientId: string;
  userId: string;
  /** As core resolves it (no trailing slash): part of the store key. */
  baseUrl: string;
}

/** Everything a grant needs. */
export interface Credentials extends Identity {
  clientSecret: string | undefined;
  password: string;
}

function require(env: Env, names: readonly string[]): void {
  const missing = names.filter((name) => read(env, name) === undefined);
  if (missing.length > 0) {
    throw new CliError(
      `Missing ${missing.join(', ')}: set ${missing.length === 1 ? 'it' : 'them'} in the environment or in .env.`,
      EXIT_CODES.CONFIG_MISSING,
    );
  }
}

function baseUrl(env: Env): string {
  const value = read(env, 'GOTO_BASE_URL') ?? DEFAULT_BASE_URL;
  try {
    return checkGoToUrl(value, 'GOTO_BASE_URL').href.replace(/\/+$/, '');
  } catch (error) {
    throw new CliError(
      error instanceof Error ? error.message : String(error),
      EXIT_CODES.CONFIG_INVALID,
    );
  }
}

/** `GOTO_CLIENT_ID`, `GOTO_USER_ID` and `GOTO_BASE_URL`: what `status` needs. */
export function readIdentity(env: Env): Identity {
  require(env, ['GOTO_CLIENT_ID', 'GOTO_USER_ID']);
  return {
    clientId: read(env, 'GOTO_CLIENT_ID') as string,
    userId: read(env, 'GOTO_USER_ID') as string,
    baseUrl: baseUrl(env),
  };
}

/** The identity plus `GOTO_PASSWORD` and `GOTO_CLIENT_SECRET`: what `token` needs. */
export function readCredentials(env: Env): Credentials {
  require(env, ['GOTO_CLIENT_ID', 'GOTO_USER_ID', 'GOTO_PASSWORD']);
  return {
    ...readIdentity(env),
    clientSecret: read(env, 'GOTO_CLIENT_SECRET'),
    password: read(env, 'GOTO_PASSWORD') as string,
  };
}

/** Where the shared token lives, when one is configured. */
export interface StoreSettings {
  /** The Redis URL as given (may hold a password: show {@link StoreSettings.display}). */
  url: string;
  /** The URL without user name or password, for output. */
  display: string;
  /** `GOTO_KEY_PREFIX` / `--key-prefix`: must match the application's `keyPrefix`. */
  keyPrefix: string | undefined;
  /** `GOTO_TOKEN_KEY`: the application's `encryptionKey`, when it encrypts. */
  encryptionKey: string | undefined;
}

/** `--redis-url` or `REDIS_URL`; `undefined` when neither is set. */
export function readStore(
  env: Env,
  flags: { redisUrl?: string | undefined; keyPrefix?: string | undefined },
): StoreSettings | undefined {
  const url = flags.redisUrl ?? read(env, 'REDIS_URL');
  if (url === undefined || url.trim() === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    parsed = new URL('invalid:');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new CliError(
      'REDIS_URL (or --redis-url) must be a redis:// or rediss:// URL.',
      EXIT_CODES.CONFIG_INVALID,
    );
  }
  parsed.username = '';
  parsed.password = '';
  return {
    url,
    display: parsed.href,
    keyPrefix: flags.keyPrefix ?? read(env, 'GOTO_KEY_PREFIX'),
    encryptionKey: read(env, 'GOTO_TOKEN_KEY'),
  };
}
