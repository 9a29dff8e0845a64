import { GoToAuthService } from '@goto-auth/nestjs';
import { Controller, Get, Header, Res } from '@nestjs/common';
import type { Response } from 'express';
import { GoToBackend } from './goto-backend.module.js';
import { iso, secondsUntil } from './token-view.js';

/** `ok`: a valid token; `degraded`: still a valid token, but a refresh runs or failed; `down`: none. */
export type Health = 'ok' | 'degraded' | 'down';

@Controller('health')
export class HealthController {
  constructor(
    private readonly goto: GoToAuthService,
    private readonly backend: GoToBackend,
  ) {}

  /**
   * 200 for `ok` and `degraded` (requests are still served with the current token, so a load
   * balancer should keep this instance), 503 for `down` (no valid token: GoTo calls fail).
   */
  @Get()
  @Header('cache-control', 'no-store')
  check(@Res({ passthrough: true }) res: Response) {
    const status = this.goto.status();
    const now = Date.now();
    const token = status.token;
    const health: Health = !status.serving
      ? 'down'
      : status.state === 'refreshing' || status.lastError !== undefined
        ? 'degraded'
        : 'ok';
    res.status(health === 'down' ? 503 : 200);
    return {
      status: health,
      mode: this.backend.mode,
      state: status.state,
      expiresAt: iso(token?.expiresAt),
      secondsLeft: token === undefined ? null : secondsUntil(token.expiresAt, now),
      lastRefreshAt: iso(status.lastRefreshAt),
      lastError:
        status.lastError === undefined
          ? null
          : {
              code: status.lastError.code,
              message: status.lastError.message,
              at: iso(status.lastError.at),
            },
    };
  }
}
