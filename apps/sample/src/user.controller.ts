import { goToKy } from '@goto-auth/ky';
import { GoToAuthExceptionFilter, GoToOAuthService } from '@goto-auth/nestjs';
import { Controller, Get, Header, Req, UseFilters } from '@nestjs/common';
import type { Request } from 'express';
import { UserSessions } from './user-session.js';

/** GoTo's SCIM view of the signed-in user (`GET /identity/v1/Users/me`). */
export interface GoToUserMe {
  userName?: string;
  name?: { givenName?: string; familyName?: string };
  emails?: { value: string }[];
}

/** Calls GoTo as the signed-in user, with that user's token (kept server-side). */
@Controller('api/user')
@UseFilters(GoToAuthExceptionFilter)
export class UserController {
  constructor(
    private readonly goto: GoToOAuthService,
    private readonly sessions: UserSessions,
  ) {}

  /**
   * GoTo's identity of the user, through ky with that user's token source. Nobody signed in, or
   * a session GoTo ended: 401 `LOGIN_REQUIRED` problem+json.
   */
  @Get('me')
  @Header('cache-control', 'no-store')
  async me(@Req() req: Request): Promise<GoToUserMe> {
    const principal = this.sessions.principalOf(req.headers.cookie) ?? '';
    // Throws LOGIN_REQUIRED before any call when there is no session.
    await this.goto.getToken(principal);
    const goto = goToKy(this.goto.forPrincipal(principal));
    return goto.get('identity/v1/Users/me').json<GoToUserMe>();
  }
}
