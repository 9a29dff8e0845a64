import { GoToAuthError } from '@goto-auth/core';
import { Inject } from '@nestjs/common';
import { GoToAuthService } from './service.js';

/** The injection token of the default instance's core `GoToAuth` object. */
export const GOTO_AUTH = 'GOTO_AUTH';

/**
 * The injection token of the module options, visible only inside each registration (every
 * named instance has its own). Use it with `overrideProvider` in tests.
 */
export const GOTO_AUTH_MODULE_OPTIONS = 'GOTO_AUTH_MODULE_OPTIONS';

function suffix(name: string | undefined): string {
  if (name === undefined) return '';
  if (typeof name !== 'string' || name === '') {
    throw new GoToAuthError(
      'INVALID_OPTIONS',
      'GoToAuthModule: "name" must be a non-empty string.',
    );
  }
  return `:${name}`;
}

/**
 * The injection token of an instance's core `GoToAuth` object.
 * @param name - the `name` given to `forRoot` / `forRootAsync`; none for the default instance
 * @returns {@link GOTO_AUTH} for the default instance, `'GOTO_AUTH:<name>'` otherwise
 */
export function getGoToAuthToken(name?: string): string {
  return GOTO_AUTH + suffix(name);
}

/**
 * The injection token of an instance's {@link GoToAuthService}.
 * @returns the `GoToAuthService` class for the default instance, `'GoToAuthService:<name>'`
 * otherwise
 */
export function getGoToAuthServiceToken(name?: string): string | typeof GoToAuthService {
  return name === undefined ? GoToAuthService : `GoToAuthService${suffix(name)}`;
}

/**
 * Injects an instance's core `GoToAuth` object.
 *
 * @example
 * ```ts
 * constructor(@InjectGoToAuth('billing') private readonly billing: GoToAuth) {}
 * ```
 */
export function InjectGoToAuth(name?: string): PropertyDecorator & ParameterDecorator {
  return Inject(getGoToAuthToken(name));
}

/**
 * Injects an instance's {@link GoToAuthService}. For the default instance, plain constructor
 * injection of `GoToAuthService` does the same.
 *
 * @example
 * ```ts
 * constructor(@InjectGoToAuthService('billing') private readonly billing: GoToAuthService) {}
 * ```
 */
export function InjectGoToAuthService(name?: string): PropertyDecorator & ParameterDecorator {
  return Inject(getGoToAuthServiceToken(name));
}
