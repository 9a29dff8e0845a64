/**
 * The sample's configuration, read once from the environment before Nest starts, so a bad
 * setting stops the process with a message naming the variable (and never its value).
 */

import { checkGoToUrl } from '@goto-auth/core';

/** How long the embedded emulator's access tokens live: short enough to watch a refresh. */
export const EMULATOR_TOKEN_TTL_SECONDS = 120;

/** Every variable that switches the sample from the embedded emulator to a real GoTo. */
export const GOTO_VARIABLES = [
  'GOTO_CLIENT_ID',
  'GOTO_CLIENT_SECRET',
  'GOTO_USER_ID',
  'GOTO_PASSWORD',
  'GOTO_BASE_URL',
] as const;

const REQUIRED = ['GOTO_CLIENT_ID', 'GOTO_USER_ID', 'GOTO_PASSWORD'] as const;

interface Listen {
  /** TCP port (`PORT`); `0` picks a free one (before start, so the redirect URI can name it). */
  port: number;
  /** Interface to listen on (`HOST`). */
  host: string;
  /** Port of the Prometheus metrics endpoint (`METRICS_PORT`), on `host`; `0` picks a free one. */
  metricsPort: number;
  /**
   * Where GoTo sends users back after "Sign in with GoTo" (`GOTO_REDIRECT_URI`), registered
   * with the OAuth client; by default `http://{HOST}:{PORT}/auth/goto/callback`.
   */
  redirectUri: string | undefined;
  /**
   * Signs the session cookie of signed-in users (`SESSION_SECRET`, at least 32 characters);
   * by default a random one per process (sessions end with the process).
   */
  sessionSecret: string | undefined;
}

/** No `GOTO_*` variable set: the app starts its own emulator. */
export interface EmulatorConfig extends Listen {
  mode: 'emulator';
}

/** Real GoTo (or any GoTo-compatible endpoint named by `GOTO_BASE_URL`). */
export interface GoToConfig extends Listen {
  mode: 'goto';
  clientId: string;
  clientSecret: string | undefined;
  userId: string;
  password: string;
  /** `undefined`: core's default, `https://api.getgo.com`. */
  baseUrl: string | undefined;
}

export type SampleConfig = EmulatorConfig | GoToConfig;

/** A setting the app cannot start with. The message names variables, never their values. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/** Blank counts as unset: `GOTO_PASSWORD= pnpm start` is a mistake, not an empty password. */
function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Checked here as well as in core, so the message names the environment variable. */
function checkBaseUrl(value: string): string {
  try {
    checkGoToUrl(value, 'GOTO_BASE_URL');
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
  return value;
}

function readPort(env: Env, name = 'PORT', fallback = 3000): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || port > 65_535) {
    throw new ConfigError(`${name} must be a whole number from 0 to 65535 (0 picks a free port).`);
  }
  return port;
}

/** Prometheus's customary port for an exporter. */
export const DEFAULT_METRICS_PORT = 9464;

/**
 * Reads the configuration: no `GOTO_*` variable means the embedded emulator; any of them means
 * real GoTo, which needs `GOTO_CLIENT_ID`, `GOTO_USER_ID` and `GOTO_PASSWORD`.
 *
 * @throws {@link ConfigError} naming the missing or invalid variables
 */
export function loadConfig(env: Env): SampleConfig {
  const redirectUri = read(env, 'GOTO_REDIRECT_URI');
  if (redirectUri !== undefined && !URL.canParse(redirectUri)) {
    throw new ConfigError('GOTO_REDIRECT_URI must be an absolute URL.');
  }
  const sessionSecret = read(env, 'SESSION_SECRET');
  if (sessionSecret !== undefined && sessionSecret.length < 32) {
    throw new ConfigError('SESSION_SECRET must be at least 32 characters long.');
  }
  const listen: Listen = {
    port: readPort(env),
    host: read(env, 'HOST') ?? '127.0.0.1',
    metricsPort: readPort(env, 'METRICS_PORT', DEFAULT_METRICS_PORT),
    redirectUri,
    sessionSecret,
  };
  const set = GOTO_VARIABLES.filter((name) => read(env, name) !== undefined);
  if (set.length === 0) return { mode: 'emulator', ...listen };

  const missing = REQUIRED.filter((name) => read(env, name) === undefined);
  if (missing.length > 0) {
    const list = missing.join(', ');
    throw new ConfigError(
      `${list} ${missing.length === 1 ? 'is' : 'are'} not set, but ${set.join(', ')} ${set.length === 1 ? 'is' : 'are'}. ` +
        'To use GoTo, set GOTO_CLIENT_ID, GOTO_USER_ID and GOTO_PASSWORD (GOTO_CLIENT_SECRET and GOTO_BASE_URL are optional); ' +
        'to use the embedded emulator, unset every GOTO_* variable.',
    );
  }
  const baseUrl = read(env, 'GOTO_BASE_URL');
  return {
    mode: 'goto',
    ...listen,
    clientId: read(env, 'GOTO_CLIENT_ID') as string,
    clientSecret: read(env, 'GOTO_CLIENT_SECRET'),
    userId: read(env, 'GOTO_USER_ID') as string,
    password: env.GOTO_PASSWORD as string,
    baseUrl: baseUrl === undefined ? undefined : checkBaseUrl(baseUrl),
  };
}
