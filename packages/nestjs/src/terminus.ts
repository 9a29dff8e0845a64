/**
 * A `@nestjs/terminus` health indicator, in a subpath of its own (`@goto-auth/nestjs/terminus`)
 * so that `@goto-auth/nestjs` itself never loads terminus: applications without it install
 * nothing more, and both the ES module and CommonJS builds keep static, typed imports (a lazy
 * `require` would work in neither an ES module build nor a type declaration).
 */
import type { GoToAuthStatus } from '@goto-auth/core';
import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { GoToAuthService } from './service.js';
import { getGoToAuthServiceToken } from './tokens.js';

/**
 * What the indicator reports under its key, beside `status`. Never a secret. (A type alias, not
 * an interface: terminus takes a record with an index signature.)
 */
export type GoToAuthHealthDetails = {
  /** `status().state`: `'valid'`, `'refreshing'`, `'empty'`, `'expired'` or `'closed'`. */
  state: GoToAuthStatus['state'];
  /** When the current token expires, in epoch ms, when there is one. */
  expiresAt?: number;
  /** The last failure's code (`INVALID_CREDENTIALS`, `NETWORK_ERROR`…), when there is one. */
  code?: string;
  /** The last failure's message (never a secret), when there is one. */
  message?: string;
};

/** Options of {@link GoToAuthHealthIndicator.isHealthy}. */
export interface GoToAuthHealthOptions {
  /** The `name` given to `GoToAuthModule.forRoot` for a second credential. @defaultValue the unnamed one */
  name?: string;
}

/**
 * Reports `up` while a GoTo token serves and `down` with the last error's code when none can be
 * had. Reads `status()` only: no I/O, no token request, never a secret in the result.
 *
 * Register it as a provider beside `TerminusModule` and `GoToAuthModule`.
 *
 * @example
 * ```ts
 * @Controller('health')
 * class HealthController {
 *   constructor(private readonly health: HealthCheckService, private readonly goto: GoToAuthHealthIndicator) {}
 *   @Get() @HealthCheck()
 *   check() {
 *     return this.health.check([() => this.goto.isHealthy('goto')]);
 *   }
 * }
 * ```
 */
@Injectable()
export class GoToAuthHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly moduleRef: ModuleRef,
  ) {}

  /**
   * `{ [key]: { status: 'up' | 'down', state, expiresAt?, code?, message? } }`.
   *
   * @param key - the key in terminus's result @defaultValue `'goto'`
   */
  isHealthy<const Key extends string = 'goto'>(
    key: Key = 'goto' as Key,
    options: GoToAuthHealthOptions = {},
  ): HealthIndicatorResult<Key, 'up' | 'down', GoToAuthHealthDetails> {
    const service = this.moduleRef.get<GoToAuthService>(getGoToAuthServiceToken(options.name), {
      strict: false,
    });
    const status = service.status();
    const details: GoToAuthHealthDetails = { state: status.state };
    if (status.token !== undefined) details.expiresAt = status.token.expiresAt;
    if (status.lastError !== undefined) {
      details.code = status.lastError.code;
      details.message = status.lastError.message;
    }
    const indicator = this.indicators.check(key);
    return status.serving ? indicator.up(details) : indicator.down(details);
  }
}
