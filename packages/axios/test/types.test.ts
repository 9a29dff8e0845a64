import type { GoToAuth } from '@goto-auth/core';
import type { AxiosInstance, AxiosRequestConfig } from 'axios';
import { expectTypeOf, it } from 'vitest';
import { type AttachGoToAuthOptions, attachGoToAuth } from '../src/index.js';

// Checked by `tsc -p tsconfig.json`; at run time these are no-ops.
it('pins the public types', () => {
  expectTypeOf(attachGoToAuth).parameters.toEqualTypeOf<
    [AxiosInstance, GoToAuth, (AttachGoToAuthOptions | undefined)?]
  >();
  expectTypeOf(attachGoToAuth).returns.toEqualTypeOf<() => void>();
  expectTypeOf<AttachGoToAuthOptions['origins']>().toEqualTypeOf<readonly string[] | undefined>();
  expectTypeOf<AxiosRequestConfig['goToAuthRetried']>().toEqualTypeOf<boolean | undefined>();
});
