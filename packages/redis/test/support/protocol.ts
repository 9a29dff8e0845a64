/** The IPC messages between a test and its worker processes (test/fixtures/worker.ts). */

export interface WorkerConfig {
  emulatorUrl: string;
  redis:
    | { mode: 'single'; url: string }
    | { mode: 'cluster'; nodes: { host: string; port: number }[] };
  refreshMargin: number;
  lockTtl: number;
  lockPollInterval: number;
  /** Pause between two /me calls, in ms. */
  callInterval: number;
  encryptionKey?: string;
  commandTimeout?: number;
  /** The worker exits by itself after this many ms, whatever happens. @defaultValue 120000 */
  maxLifetime?: number;
  /** Per worker index: how far its clock is from the real one, in ms. @defaultValue 0 */
  clockSkews?: number[];
  /** The auth object's `authUrl` (refresh endpoint origin). @defaultValue the emulator */
  authUrl?: string;
  /** The auth object's request `timeout`. */
  timeout?: number;
  /** Every token request waits this long before it is sent, in ms (a slow GoTo). */
  requestDelay?: number;
}

export interface WorkerReport {
  /** Loop iterations. */
  calls: number;
  /** /me answered 200 (first try or the retry). */
  ok: number;
  /** /me answered 403 on the first try. */
  rejected: number;
  /** ...and 200 on the retry with a fresh token. */
  recovered: number;
  /** What the app would have seen fail: an error from getToken() or a non-200 after the retry. */
  failures: number;
  errors: string[];
  /** Fingerprints of the access tokens used, in order of first use. */
  tokens: string[];
}

export type WorkerMessage =
  | { type: 'ready'; pid: number }
  | { type: 'lock'; at: number }
  | { type: 'token'; source: string; reason: string; issuedAt: number; at: number }
  | { type: 'refresh-failed'; code: string; at: number }
  | { type: 'report'; report: WorkerReport };

export type ParentMessage = { type: 'go' } | { type: 'stop' };
