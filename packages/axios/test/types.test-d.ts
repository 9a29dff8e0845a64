import type { GoToAuth } from '@goto-auth/core';
import axios, { type AxiosRequestConfig } from 'axios';
import { describe, expectTypeOf, it } from 'vitest';
import { type AttachGoToAuthOptions, attachGoToAuth } from '../src/index.js';

declare const auth: GoToAuth;

describe('public types', () => {
  it('attaches to an axios instance and gives back a detach function', () => {
    const instance = axios.create();
    expectTypeOf(attachGoToAuth(instance, auth)).toEqualTypeOf<() => void>();
    expectTypeOf(attachGoToAuth).parameter(2).toEqualTypeOf<AttachGoToAuthOptions | undefined>();
    expectTypeOf<AttachGoToAuthOptions['origins']>().toEqualTypeOf<readonly string[] | undefined>();
    // @ts-expect-error the instance comes first, then the auth object
    attachGoToAuth(auth, instance);
  });

  it('marks a config that spent its retry', () => {
    expectTypeOf<AxiosRequestConfig['goToAuthRetried']>().toEqualTypeOf<boolean | undefined>();
  });
});
