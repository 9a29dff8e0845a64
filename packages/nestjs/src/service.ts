import {
  createGoToAuth,
  type GetTokenOptions,
  type GoToAuth,
  type GoToAuthStatus,
  type GoToToken,
  isGoToAuthError,
} from '@goto-auth/core';
import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { GoToAuthModuleOptions } from './options.js';

/**
 * One GoTo credential's token source, tied to the Nest application's lifecycle: it gets the
 * first token in `onModuleInit` (see `warmUp`) and closes in `onApplicationShutdown`, which
 * `app.close()` runs without `enableShutdownHooks()`.
 *
 * `GoToAuthModule` provides it; do not list it in your own `providers`.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class Meetings {
 *   constructor(private readonly goto: GoToAuthService) {}
 *   async headers() {
 *     const { accessToken } = await this.goto.getToken();
 *     return { authorization: `Bearer ${accessToken}` };
 *   }
 * }
 * ```
 */
@Injectable()
export class GoToAuthService implements OnModuleInit, OnApplicationShutdown {
  /** The core object: for `baseUrl`, events (`auth.on(...)`) and the ky/Express adapters. */
  readonly auth: GoToAuth;
  /** The registration's `name`; `undefined` for the default instance. */
  readonly name: string | undefined;
  readonly #warmUp: boolean;
  readonly #failOnWarmUpError: boolean;
  readonly #logger: Logger;

  constructor(options: GoToAuthModuleOptions, name?: string) {
    const { warmUp = true, failOnWarmUpError = false, ...core } = options ?? {};
    this.name = name;
    this.#warmUp = warmUp;
    this.#failOnWarmUpError = failOnWarmUpError;
    const logger = new Logger(name === undefined ? 'GoToAuth' : `GoToAuth:${name}`);
    this.#logger = logger;
    // Core's lines carry no secret; routing them through Nest keeps the app's log format.
    this.auth = createGoToAuth({
      ...core,
      logger: core.logger ?? {
        warn: (message) => logger.warn(message),
        error: (message) => logger.error(message),
      },
    });
  }

  /**
   * A token valid for at least the refresh margin; see core's `GoToAuth.getToken`.
   * @throws `GoToAuthError` when no token can be had (`CLOSED` after `app.close()`)
   */
  getToken(options?: GetTokenOptions): Promise<GoToToken> {
    return this.auth.getToken(options);
  }

  /**
   * Says GoTo rejected `accessToken` (401, or 403 `InvalidToken`); see core's
   * `GoToAuth.invalidate`.
   * @returns whether the current token was dropped
   */
  invalidate(accessToken: string): boolean {
    return this.auth.invalidate(accessToken);
  }

  /** The current state without secrets, for health checks. No I/O. */
  status(): GoToAuthStatus {
    return this.auth.status();
  }

  /** Nest hook: the warm-up. */
  async onModuleInit(): Promise<void> {
    if (!this.#warmUp) return;
    try {
      await this.auth.getToken();
    } catch (error) {
      const code = isGoToAuthError(error) ? error.code : 'UNKNOWN';
      this.#logger.error(
        this.#failOnWarmUpError
          ? `Warm-up failed with ${code}; failOnWarmUpError is set, so the application does not start.`
          : `Warm-up failed with ${code}; the application starts without a GoTo token and later getToken() calls try again.`,
      );
      if (this.#failOnWarmUpError) throw error;
    }
  }

  /** Nest hook: stops the refresh timer and in-flight work. */
  async onApplicationShutdown(): Promise<void> {
    await this.auth.close();
  }
}
