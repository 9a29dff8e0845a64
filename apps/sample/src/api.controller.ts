import { GoToAuthService } from '@goto-auth/nestjs';
import { InjectGoToHttp } from '@goto-auth/nestjs/http';
import { HttpService } from '@nestjs/axios';
import { Controller, Get, Header, Inject, UseFilters } from '@nestjs/common';
import type { KyInstance } from 'ky';
import { firstValueFrom } from 'rxjs';
import { GOTO_API } from './goto-api.js';
import { GoToProblemFilter } from './problem.js';
import { TokenEvents } from './token-events.js';

/** GoTo's answer to "who am I" (the fields the page shows; GoTo sends more). */
export interface GoToMe {
  organizerKey?: string;
  accountKey?: string;
  email?: string;
  firstName?: string;
  lastName?: string;
}

@Controller('api')
export class ApiController {
  constructor(
    @Inject(GOTO_API) private readonly api: KyInstance,
    @InjectGoToHttp() private readonly http: HttpService,
    private readonly goto: GoToAuthService,
    private readonly events: TokenEvents,
  ) {}

  /** GoTo's `GET /admin/rest/v1/me`, through ky with the goto-auth hooks. */
  @Get('me')
  @Header('cache-control', 'no-store')
  @UseFilters(GoToProblemFilter)
  me(): Promise<GoToMe> {
    return this.api.get('admin/rest/v1/me').json<GoToMe>();
  }

  /**
   * The same call through Nest's `HttpService` (`@nestjs/axios`), which `GoToAuthModule`
   * provides wired to the token (`http: goToHttp()`).
   */
  @Get('me-http')
  @Header('cache-control', 'no-store')
  @UseFilters(GoToProblemFilter)
  async meHttp(): Promise<GoToMe> {
    const { data } = await firstValueFrom(this.http.get<GoToMe>('/admin/rest/v1/me'));
    return data;
  }

  /** The latest token events (no secrets), newest first. */
  @Get('events')
  @Header('cache-control', 'no-store')
  recentEvents() {
    return { state: this.goto.status().state, events: this.events.list() };
  }
}
