import type { GoToAuth } from '@goto-auth/core';
import axios, { type AxiosInstance, type AxiosRequestConfig } from 'axios';
import { expectTypeOf, it } from 'vitest';
import { type AttachGoToAuthOptions, attachGoToAuth } from '../src/index.js';

it('pins the public types', () => {
  expectTypeOf(attachGoToAuth).parameters.toEqualTypeOf<
    [AxiosInstance, GoToAuth, (AttachGoToAuthOptions | undefined)?]
  >();
  expectTypeOf(attachGoToAuth).returns.toEqualTypeOf<() => void>();
  expectTypeOf<AttachGoToAuthOptions['origins']>().toEqualTypeOf<readonly string[] | undefined>();
  expectTypeOf<AxiosRequestConfig['goToAuthRetried']>().toEqualTypeOf<boolean | undefined>();
  // @ts-expect-error the instance comes first, then the auth object
  attachGoToAuth({} as GoToAuth, axios.create());
});
