import type { GoToAuthEvent } from '@goto-auth/core';
import { GoToAuthService } from '@goto-auth/nestjs';
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { iso } from './token-view.js';

const KEEP = 20;

/** One entry of the page's event list: core's event (never a secret) and when it came. */
export type LoggedEvent = GoToAuthEvent & { at: string };

/**
 * Keeps the last token events for the page, so a person sees why a token changed
 * (scheduled refresh, rejection after a demo button...). Subscribed before the warm-up runs.
 */
@Injectable()
export class TokenEvents implements OnApplicationShutdown {
  readonly #events: LoggedEvent[] = [];
  readonly #unsubscribe: (() => void)[];

  constructor(goto: GoToAuthService) {
    const record = (event: GoToAuthEvent) => {
      this.#events.unshift({ ...event, at: iso(Date.now()) as string });
      this.#events.length = Math.min(this.#events.length, KEEP);
    };
    this.#unsubscribe = (['token', 'invalidated', 'refresh-failed', 'warning'] as const).map(
      (type) => goto.auth.on(type, record),
    );
  }

  /** Newest first. */
  list(): readonly LoggedEvent[] {
    return this.#events;
  }

  onApplicationShutdown(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
  }
}
