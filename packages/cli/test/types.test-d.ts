import { describe, expectTypeOf, it } from 'vitest';
import {
  type CliIo,
  EXIT_CODES,
  type ExitCode,
  type MainOptions,
  main,
  type StatusReport,
} from '../src/index.js';

describe('public types', () => {
  it('runs main with argv and resolves an exit code', () => {
    expectTypeOf(main).parameter(0).toEqualTypeOf<readonly string[]>();
    expectTypeOf(main).parameter(1).toEqualTypeOf<MainOptions | undefined>();
    expectTypeOf(main).returns.resolves.toEqualTypeOf<ExitCode>();
    expectTypeOf<ExitCode>().toEqualTypeOf<0 | 1 | 2 | 3 | 4 | 5 | 6>();
    expectTypeOf(EXIT_CODES.USAGE).toEqualTypeOf<2>();
    // @ts-expect-error argv is an array of strings
    main('token');
  });

  it('takes its I/O and environment from options', () => {
    expectTypeOf<MainOptions['io']>().toEqualTypeOf<CliIo | undefined>();
    expectTypeOf<CliIo['ask']>().returns.toEqualTypeOf<Promise<string>>();
    expectTypeOf<StatusReport['store']>().toExtend<{ type: 'redis'; url: string } | null>();
  });
});
