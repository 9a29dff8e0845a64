import type { GoToAuthOptions } from '@goto-auth/core';
import type { ConfigurableModuleAsyncOptions, FactoryProvider } from '@nestjs/common';

/**
 * What {@link GoToAuthModule} takes: the options of core's `createGoToAuth` plus how the
 * module starts. When `logger` is not given, core's warnings go to Nest's `Logger`.
 */
export interface GoToAuthModuleOptions extends GoToAuthOptions {
  /**
   * Get the first token in `onModuleInit`, so `app.init()` / `app.listen()` returns with a
   * token in the cache and the first request does not wait for GoTo.
   * @defaultValue `true`
   */
  warmUp?: boolean;
  /**
   * When the warm-up fails, reject `app.init()` with the `GoToAuthError` instead of logging it
   * and starting without a token.
   * @defaultValue `false`
   */
  failOnWarmUpError?: boolean;
}

/**
 * Module-definition options. They decide which providers a registration creates, so
 * `forRootAsync` takes them beside `useFactory`, never from the factory's result.
 */
export interface GoToAuthModuleExtras {
  /**
   * Registers the module globally, so every module can inject this instance.
   * @defaultValue `false`
   */
  isGlobal?: boolean;
  /**
   * A separate instance (another GoTo account) with its own injection tokens: inject it with
   * `@InjectGoToAuthService(name)` or `@InjectGoToAuth(name)`.
   * @defaultValue the default instance, injected as `GoToAuthService` or `@InjectGoToAuth()`
   */
  name?: string;
  /**
   * Also provide an `HttpService` (`@nestjs/axios`) wired to this instance: pass `goToHttp()`
   * from `@goto-auth/nestjs/http`, and inject it with `@InjectGoToHttp(name)`.
   * @defaultValue no `HttpService`
   */
  http?: GoToAuthClientFactory;
}

/**
 * Makes a provider of an HTTP client wired to one instance (what `goToHttp()` returns); the
 * module registers it beside the instance and exports its token.
 */
export type GoToAuthClientFactory = (instance: {
  /** The instance's `name`; `undefined` for the default instance. */
  name: string | undefined;
  /** The injection token of the instance's core `GoToAuth` object. */
  authToken: string;
}) => GoToAuthClientProvider;

/** What a {@link GoToAuthClientFactory} makes: a factory provider with a string token. */
export interface GoToAuthClientProvider extends FactoryProvider {
  /** The injection token, exported by the registration. */
  provide: string;
}

/** A class that `forRootAsync({ useClass })` or `{ useExisting }` asks for the options. */
export interface GoToAuthOptionsFactory {
  /** Returns the module options (the core options plus `warmUp` and `failOnWarmUpError`). */
  createGoToAuthOptions(): GoToAuthModuleOptions | Promise<GoToAuthModuleOptions>;
}

/** What `GoToAuthModule.forRootAsync` takes. */
export type GoToAuthModuleAsyncOptions = ConfigurableModuleAsyncOptions<
  GoToAuthModuleOptions,
  'createGoToAuthOptions'
> &
  GoToAuthModuleExtras;
