import { attachGoToAuth } from '@goto-auth/axios';
import type { GoToAuth } from '@goto-auth/core';
import { HttpService } from '@nestjs/axios';
import { Inject } from '@nestjs/common';
import type { CreateAxiosDefaults } from 'axios';
import type { GoToAuthClientFactory } from './options.js';

/** The injection token of the default instance's `HttpService`. */
export const GOTO_HTTP = 'GOTO_HTTP';

/**
 * The injection token of an instance's `HttpService`.
 * @param name - the `name` given to `forRoot` / `forRootAsync`; none for the default instance
 * @returns {@link GOTO_HTTP} for the default instance, `'GOTO_HTTP:<name>'` otherwise
 */
export function getGoToHttpToken(name?: string): string {
  return name === undefined ? GOTO_HTTP : `${GOTO_HTTP}:${name}`;
}

/**
 * Injects an instance's `HttpService` (registered with `http: goToHttp()`).
 *
 * @example
 * ```ts
 * constructor(@InjectGoToHttp() private readonly goto: HttpService) {}
 * ```
 */
export function InjectGoToHttp(name?: string): PropertyDecorator & ParameterDecorator {
  return Inject(getGoToHttpToken(name));
}

/** Options of {@link goToHttp}. */
export interface GoToHttpOptions {
  /**
   * The origins that receive the token (see `attachGoToAuth` in `@goto-auth/axios`).
   * @defaultValue `[new URL(auth.baseUrl).origin]`
   */
  origins?: readonly string[];
  /**
   * Defaults of the axios instance behind the `HttpService` (`timeout`, `headers`…).
   * @defaultValue `{ baseURL: auth.baseUrl }`
   */
  axios?: CreateAxiosDefaults;
}

/**
 * For `GoToAuthModule.forRoot({ …, http: goToHttp() })` (or `forRootAsync`, beside
 * `useFactory`): the registration also provides an `HttpService` from `@nestjs/axios` whose
 * axios instance has `baseURL = auth.baseUrl` and `@goto-auth/axios`'s interceptors: the token
 * on requests to GoTo only, and one retry when GoTo rejects it. Inject it with
 * `@InjectGoToHttp(name)`. Each named instance gets its own.
 *
 * A subpath of its own, so `@goto-auth/nestjs` itself never loads `@nestjs/axios` or axios:
 * without them installed, nothing changes.
 *
 * @example
 * ```ts
 * @Module({ imports: [GoToAuthModule.forRoot({ clientId, userId, password, http: goToHttp() })] })
 * export class AppModule {}
 *
 * @Injectable()
 * export class Me {
 *   constructor(@InjectGoToHttp() private readonly goto: HttpService) {}
 *   get() {
 *     return firstValueFrom(this.goto.get('/admin/rest/v1/me'));
 *   }
 * }
 * ```
 */
export function goToHttp(options: GoToHttpOptions = {}): GoToAuthClientFactory {
  return ({ name, authToken }) => ({
    provide: getGoToHttpToken(name),
    useFactory: (auth: GoToAuth) => {
      // axios.create through @nestjs/axios's own axios: no default import of axios here.
      const instance = new HttpService().axiosRef.create({
        baseURL: auth.baseUrl,
        ...options.axios,
      });
      attachGoToAuth(instance, auth, { origins: options.origins });
      return new HttpService(instance);
    },
    inject: [authToken],
  });
}
