import type { TimerHandle, TimerProvider } from '@goto-auth/core';

interface Held {
  due: number;
  callback: () => void;
}

/**
 * Real time that can jump ahead, for scenarios on GoTo's real token lifetime (an hour) that
 * must run in milliseconds. `now()` is `Date.now()` plus the jumps so far. Timers shorter than
 * `longMs` (request timeouts, backoff, lock polls) are real, so real I/O and short waits behave
 * as in production; longer ones (the scheduled refresh) are held and fire when a jump reaches
 * them, as they would after that much time.
 */
export class JumpClock implements TimerProvider {
  readonly #held = new Set<Held>();
  readonly #real = new Set<ReturnType<typeof setTimeout>>();
  readonly #longMs: number;
  #offset = 0;

  constructor(options: { longMs?: number } = {}) {
    this.#longMs = options.longMs ?? 60_000;
  }

  /** The clock, epoch ms. A bound function: pass it as `now`. */
  readonly now = (): number => Date.now() + this.#offset;

  setTimeout(callback: () => void, ms: number): TimerHandle {
    if (ms >= this.#longMs) {
      const held: Held = { due: this.now() + ms, callback };
      this.#held.add(held);
      return held;
    }
    const handle = setTimeout(
      () => {
        this.#real.delete(handle);
        callback();
      },
      Math.max(0, ms),
    );
    handle.unref();
    this.#real.add(handle);
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    if (this.#held.delete(handle as Held)) return;
    const real = handle as ReturnType<typeof setTimeout>;
    if (this.#real.delete(real)) clearTimeout(real);
  }

  /**
   * Jumps `ms` ahead and fires the held timers now due, earliest first (unless `fire` is false:
   * a suspended process whose timers have not run yet).
   */
  advance(ms: number, fire = true): void {
    this.#offset += ms;
    if (fire) this.fireDue();
  }

  /** Fires the held timers that are due, earliest first. */
  fireDue(): void {
    const now = this.now();
    const due = [...this.#held].filter((held) => held.due <= now).sort((a, b) => a.due - b.due);
    for (const held of due) {
      if (!this.#held.delete(held)) continue;
      held.callback();
    }
  }

  /** Jumps to `at` (plus a few ms, so a timer set for exactly `at` is due). */
  advanceTo(at: number): void {
    this.advance(Math.max(0, at - this.now()) + 5);
  }

  /** Timers not yet fired or cleared. */
  get pending(): number {
    return this.#held.size + this.#real.size;
  }

  dispose(): void {
    for (const handle of this.#real) clearTimeout(handle);
    this.#real.clear();
    this.#held.clear();
  }
}

/**
 * A fully virtual clock and timer provider: nothing fires until `advanceTo` reaches it. For
 * loops of thousands of refresh cycles that must not wait at all.
 */
export class VirtualClock implements TimerProvider {
  readonly #timers = new Set<Held>();
  #now: number;

  constructor(start = Date.UTC(2030, 0, 1)) {
    this.#now = start;
  }

  readonly now = (): number => this.#now;

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer: Held = { due: this.#now + Math.max(0, ms), callback };
    this.#timers.add(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as Held);
  }

  /** Moves to `at` and fires every timer due by then, earliest first. */
  advanceTo(at: number): void {
    this.#now = Math.max(this.#now, at);
    for (;;) {
      let next: Held | undefined;
      for (const timer of this.#timers) {
        if (timer.due <= this.#now && (next === undefined || timer.due < next.due)) next = timer;
      }
      if (next === undefined) return;
      this.#timers.delete(next);
      next.callback();
    }
  }

  /** Live timers: set and neither fired nor cleared. */
  get pending(): number {
    return this.#timers.size;
  }
}
