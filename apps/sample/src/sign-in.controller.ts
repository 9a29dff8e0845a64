import { isGoToAuthError } from '@goto-auth/core';
import { GoToOAuthController, GoToOAuthService, type GoToSignedIn } from '@goto-auth/nestjs';
import { Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Request, Response } from 'express';
import { UserSessions } from './user-session.js';

/**
 * "Sign in with GoTo": `GET /auth/goto/login` and `GET /auth/goto/callback` from
 * `GoToOAuthController` (the signed state cookie, the code exchange), plus what only this app
 * knows: its session cookie, where the browser goes after the callback, and sign-out.
 */
@Controller('auth/goto')
export class SignInController extends GoToOAuthController {
  constructor(
    goto: GoToOAuthService,
    host: HttpAdapterHost,
    private readonly sessions: UserSessions,
  ) {
    super(goto, host);
  }

  /** Keeps who signed in (never a token) in the app's session cookie. */
  protected override onSignIn(_req: Request, res: Response, { principal }: GoToSignedIn): void {
    res.append('set-cookie', this.sessions.cookieFor(principal));
    res.redirect(302, '/?signin=ok');
  }

  /**
   * The callback, for a browser: a refused consent or an unusable callback goes back to the
   * page with its code (the page says what happened) instead of a problem+json answer.
   */
  @Get('callback')
  override async callback(@Req() req: Request, @Res() res: Response): Promise<void> {
    try {
      await super.callback(req, res);
    } catch (error) {
      if (!isGoToAuthError(error) || res.headersSent) throw error;
      const failed = ['ACCESS_DENIED', 'STATE_MISMATCH', 'INVALID_CALLBACK'].includes(error.code);
      if (!failed) throw error;
      res.redirect(302, `/?signin=failed&code=${error.code}`);
    }
  }

  /** Forgets the user here and in the token store, and ends the session cookie. */
  @Post('logout')
  @HttpCode(204)
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    const principal = this.sessions.principalOf(req.headers.cookie);
    if (principal !== undefined) await this.goto.signOut(principal);
    res.append('set-cookie', this.sessions.clearCookie());
  }
}
