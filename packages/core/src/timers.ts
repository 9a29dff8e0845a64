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

/** Resolves after `ms`, or rejects with `signal.reason` when `signal` aborts first. */
export function sleep(timers: TimerProvider, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      timers.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = timers.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    // Someone may be awaiting this wait (a back-off, the grant floor): unlike the refresh
    // timer it must keep the process alive, or a script would exit with its promise pending.
    (handle as { ref?: () => void } | undefined)?.ref?.();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
