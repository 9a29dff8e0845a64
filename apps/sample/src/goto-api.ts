import { goToAuthHooks } from '@goto-auth/ky';
import { GoToAuthService } from '@goto-auth/nestjs';
import type { Provider } from '@nestjs/common';
import ky from 'ky';

/** Injection token of the ky instance that calls GoTo's API with the token attached. */
export const GOTO_API = 'GOTO_API';

export const gotoApiProvider: Provider = {
  provide: GOTO_API,
  inject: [GoToAuthService],
  useFactory: (goto: GoToAuthService) =>
    ky.create({
      prefix: goto.auth.baseUrl,
      hooks: goToAuthHooks(goto.auth),
      // The hooks retry a rejected token through ky.retry(), which needs a retry left.
      retry: { limit: 1 },
      timeout: 5_000,
    }),
};
