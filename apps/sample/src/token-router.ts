import type { GoToAuth } from '@goto-auth/core';
import { goToAuth } from '@goto-auth/express';
import { Router } from 'express';
import { tokenView } from './token-view.js';

/**
 * A plain Express router, mounted at `/api` beside the Nest routes: `goToAuth` puts the token
 * on `req.goto` (or answers problem+json itself when none can be had).
 */
export function tokenRouter(auth: GoToAuth): Router {
  const router = Router();
  router.get('/token', goToAuth(auth), (req, res) => {
    // req.goto carries the access and refresh tokens: only the facts leave this handler.
    const { accessToken: _access, refreshToken: _refresh, ...facts } = req.goto;
    res.set('cache-control', 'no-store').json(tokenView(facts, auth.status(), Date.now()));
  });
  return router;
}
