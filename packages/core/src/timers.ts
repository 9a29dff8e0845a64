/** An opaque timer handle. */
export type TimerHandle = unknown;

/**
 * Where the manager gets its timers. The default calls the global `setTimeout` at call time,
 * so fake timers installed after `createGoToAuth` still apply, and unrefs each timer so it
 * never keeps a process alive.
 */
export interface TimerProvider {
  /** Calls `callback` once after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timer made by `setTimeout`; a fired or unknown handle is ignored. */
  clearTimeout(handle: TimerHandle): void;
}

// setTimeout stores its delay as a signed 32-bit integer; longer delays fire at once.
const MAX_DELAY = 2 ** 31 - 1;

export const defaultTimers: TimerProvider = {
  setTimeout(callback, ms) {
    const handle = globalThis.setTimeout(callback, Math.min(Math.max(0, ms), MAX_DELAY));
    (handle as { unref?: () => void }).unref?.();
    return handle;
  },
  clearTimeout(handle) {
    globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/** Makes a timer keep the process alive (where handles have `ref`; elsewhere a no-op). */
export function keepAlive(handle: TimerHandle, on: boolean): void {
  const timer = handle as { ref?: () => void; unref?: () => void } | undefined;
  if (on) timer?.ref?.();
  else timer?.unref?.();
}

/**
 * Resolves after `ms`, or rejects with `signal.reason` when `signal` aborts first. The timer
 * does not keep the process alive by itself: `started` receives its handle, for
 * {@link keepAlive} once someone awaits the wait.
 */
export function sleep(
  timers: TimerProvider,
  ms: number,
  signal: AbortSignal,
  started?: (handle: TimerHandle | undefined) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      timers.clearTimeout(handle);
      started?.(undefined);
      reject(signal.reason);
    };
    const handle = timers.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      started?.(undefined);
      resolve();
    }, ms);
    started?.(handle);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
