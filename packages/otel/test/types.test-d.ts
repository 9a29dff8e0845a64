import type { GoToAuth } from '@goto-auth/core';
import type { Attributes, MeterProvider, TracerProvider } from '@opentelemetry/api';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type GoToAuthInstrumentationOptions,
  INSTRUMENTATION_NAME,
  instrumentGoToAuth,
  METRICS,
  SPAN_NAME,
} from '../src/index.js';

declare const auth: GoToAuth;

describe('types', () => {
  it('takes a GoToAuth and optional providers, and returns the uninstaller', () => {
    expectTypeOf(instrumentGoToAuth(auth)).toEqualTypeOf<() => void>();
    expectTypeOf<GoToAuthInstrumentationOptions>().toEqualTypeOf<{
      meterProvider?: MeterProvider;
      tracerProvider?: TracerProvider;
      attributes?: Attributes;
    }>();
    // @ts-expect-error the auth object comes first
    instrumentGoToAuth({});
    // @ts-expect-error not an option
    instrumentGoToAuth(auth, { prefix: 'x' });
  });

  it('names its metrics and span with literal types', () => {
    expectTypeOf(METRICS.grants).toEqualTypeOf<'goto_auth.grants'>();
    expectTypeOf(METRICS.timeLeft).toEqualTypeOf<'goto_auth.token.time_left'>();
    expectTypeOf(SPAN_NAME).toEqualTypeOf<'goto_auth.token_request'>();
    expectTypeOf(INSTRUMENTATION_NAME).toEqualTypeOf<string>();
  });
});
