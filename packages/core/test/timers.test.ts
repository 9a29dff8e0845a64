/**
 * The default timers and the manager's sleep: unref'd timers, the 32-bit delay cap, and waits
 * that end on abort.
 */
import { describe, expect, it } from 'vitest';
import { defaultTimers, keepAlive, sleep } from '../src/timers.js';

type NodeTimer = { hasRef(): boolean };

describe('defaultTimers', () => {
  it('fires once after the delay, and never holds the process open', async () => {
    let fired = 0;
    const handle = defaultTimers.setTimeout(() => fired++, 5) as NodeTimer;
    expect(handle.hasRef()).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(fired).toBe(1);
  });

  it('caps a delay beyond 2^31 - 1 ms instead of firing at once', async () => {
    let fired = 0;
    const handle = defaultTimers.setTimeout(() => fired++, 2 ** 31 + 10);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fired).toBe(0);
    defaultTimers.clearTimeout(handle);
  });

  it('cancels a timer', async () => {
    let fired = 0;
    const handle = defaultTimers.setTimeout(() => fired++, 1);
    defaultTimers.clearTimeout(handle);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fired).toBe(0);
  });

  it('keepAlive refs and unrefs a handle, and ignores handles without ref', () => {
    const handle = defaultTimers.setTimeout(() => {}, 1000) as NodeTimer;
    keepAlive(handle, true);
    expect(handle.hasRef()).toBe(true);
    keepAlive(handle, false);
    expect(handle.hasRef()).toBe(false);
    defaultTimers.clearTimeout(handle);
    expect(() => keepAlive(undefined, true)).not.toThrow();
    expect(() => keepAlive(7, false)).not.toThrow();
  });
});

describe('sleep', () => {
  const manual = () => {
    const timers = new Map<number, () => void>();
    let next = 0;
    return {
      timers,
      provider: {
        setTimeout: (callback: () => void) => {
          timers.set(++next, callback);
          return next;
        },
        clearTimeout: (handle: unknown) => {
          timers.delete(handle as number);
        },
      },
    };
  };

  it('resolves when its timer fires, and reports the handle, then none', async () => {
    const { timers, provider } = manual();
    const seen: unknown[] = [];
    const controller = new AbortController();
    const waiting = sleep(provider, 100, controller.signal, (handle) => seen.push(handle));
    expect(seen).toEqual([1]);
    timers.get(1)?.();
    await waiting;
    expect(seen).toEqual([1, undefined]);
    // A later abort changes nothing.
    controller.abort(new Error('late'));
    expect(seen).toEqual([1, undefined]);
  });

  it('rejects with the reason and clears its timer when aborted', async () => {
    const { timers, provider } = manual();
    const seen: unknown[] = [];
    const controller = new AbortController();
    const waiting = sleep(provider, 100, controller.signal, (handle) => seen.push(handle));
    const reason = new Error('closing');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(timers.size).toBe(0);
    expect(seen).toEqual([1, undefined]);
  });

  it('rejects at once, without a timer, when already aborted', async () => {
    const { timers, provider } = manual();
    const reason = new Error('closed');
    const waiting = sleep(provider, 100, AbortSignal.abort(reason));
    await expect(waiting).rejects.toBe(reason);
    expect(timers.size).toBe(0);
  });
});
