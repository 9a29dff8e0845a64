import type { GoToEmulator } from '@goto-auth/emulator';
import { GoToAuthService } from '@goto-auth/nestjs';
import { Controller, Get, Header, HttpCode, Module, Post } from '@nestjs/common';
import { GoToBackend } from './goto-backend.module.js';

/**
 * Demo controls over the embedded emulator. `AppModule` imports this module in emulator mode
 * only: against real GoTo these routes do not exist (404).
 */
@Controller('demo')
export class DemoController {
  readonly #emulator: GoToEmulator;

  constructor(
    backend: GoToBackend,
    private readonly goto: GoToAuthService,
  ) {
    if (backend.emulator === undefined) throw new Error('The demo controls need the emulator.');
    this.#emulator = backend.emulator;
  }

  /** Expires every access token in the emulator: the app's next GoTo call is rejected. */
  @Post('expire')
  @HttpCode(200)
  expire() {
    this.#emulator.expireAccessTokens();
    return {
      done: 'expire',
      detail:
        'The emulator expired the access token. The next GoTo call gets 403 InvalidToken; the ky hook invalidates the token, gets a fresh one and retries once.',
    };
  }

  /**
   * Another client mints a token with the same credentials, which (GoToAssist Corporate rule)
   * revokes ours: the next GoTo call is rejected and the app recovers the same way.
   */
  @Post('revoke')
  @HttpCode(200)
  revoke() {
    this.#emulator.mintToken();
    return {
      done: 'revoke',
      detail:
        'Another client minted a token with the same credentials, which revoked ours. The next GoTo call gets 403 InvalidToken and recovers with one new grant.',
    };
  }

  /** The emulator's counters: grants, `/me` calls, rejections. */
  @Get('stats')
  @Header('cache-control', 'no-store')
  stats() {
    const counters = { ...this.#emulator.counters };
    return {
      grants: counters.passwordGrants + counters.refreshGrants,
      counters,
      state: this.goto.status().state,
    };
  }
}

@Module({ controllers: [DemoController] })
export class DemoModule {}
