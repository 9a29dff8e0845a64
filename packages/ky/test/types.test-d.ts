import type { GoToAuth } from '@goto-auth/core';
import ky, { type Hooks, type KyInstance, type Options } from 'ky';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type GoToAuthHooksOptions,
  type GoToKyOptions,
  goToAuthHooks,
  goToKy,
} from '../src/index.js';

declare const auth: GoToAuth;

describe('public types', () => {
  it('gives ky hooks for ky.create and extend', () => {
    expectTypeOf(goToAuthHooks(auth)).toEqualTypeOf<Hooks>();
    expectTypeOf(goToAuthHooks).parameter(1).toEqualTypeOf<GoToAuthHooksOptions | undefined>();
    expectTypeOf<GoToAuthHooksOptions['origins']>().toEqualTypeOf<readonly string[] | undefined>();
    ky.create({ hooks: goToAuthHooks(auth) });
    // @ts-expect-error the auth object comes first
    goToAuthHooks({ origins: [] });
  });

  it('makes a ky instance that takes ky options and origins', () => {
    expectTypeOf(goToKy(auth)).toEqualTypeOf<KyInstance>();
    expectTypeOf<GoToKyOptions>().toExtend<Options>();
    goToKy(auth, { prefix: 'https://api.getgo.com', origins: ['https://api.getgo.com'] });
    // @ts-expect-error origins are strings
    goToKy(auth, { origins: [new URL('https://api.getgo.com')] });
  });
});
