/**
 * The reliability matrix of RESULTS.md as assertions: every fault × moment cell against the
 * emulator, its outcome compared with the expectation written from DESIGN.md section 4.
 * Short timeouts and a jumpable clock keep the whole file to seconds.
 */
import { describe, expect, it } from 'vitest';
import { compare, describeSaw, EXPECTED, FAULTS, MOMENTS, runCell } from '../src/reliability.ts';

describe.each(FAULTS)('$label', (fault) => {
  it.each(MOMENTS)('at $label: as DESIGN section 4 says', async (moment) => {
    const expected = EXPECTED[fault.id][moment.id];
    const observed = await runCell(fault.id, moment.id);

    expect({
      saw: describeSaw(observed.saw),
      tokenRequests: observed.tokenRequests,
      keptServing: observed.keptServing,
    }).toEqual({
      saw: describeSaw(expected.saw),
      tokenRequests: expected.tokenRequests,
      keptServing: expected.keptServing,
    });
    // Lower bounds on the waits the rules impose (floor, backoff, Retry-After).
    expect(compare(observed, expected).why).toEqual([]);
  });
});
