import type { ServerResponse } from 'node:http';
import { newAccessToken, newRefreshToken } from './tokens.js';
import type { EmulatorFault, EmulatorFaultOptions } from './types.js';

interface PendingFault {
  fault: EmulatorFault;
  /** Undefined: the token endpoints. */
  path: string | undefined;
  remaining: number;
  rate: number | undefined;
}

const OVERSIZED_BYTES = 5 * 1024 * 1024;

/** The default target: the token endpoints, not the consent page a browser shows. */
function isTokenPath(path: string): boolean {
  return path.startsWith('/oauth/') && path !== '/oauth/authorize';
}

function validate(fault: EmulatorFault): void {
  const bad = (why: string): never => {
    throw new RangeError(`GoToEmulator.fault(${JSON.stringify(fault.type)}): ${why}`);
  };
  switch (fault.type) {
    case 'latency':
      if (!Number.isFinite(fault.ms) || fault.ms < 0) bad('ms must be a number >= 0');
      return;
    case 'status':
      if (![500, 502, 503].includes(fault.status)) bad('status must be 500, 502 or 503');
      return;
    case 'rate-limit':
      if (!Number.isInteger(fault.retryAfterSeconds) || fault.retryAfterSeconds < 0) {
        bad('retryAfterSeconds must be an integer >= 0');
      }
      return;
    case 'malformed-json':
    case 'html':
    case 'drop':
    case 'oversized':
    case 'missing-access-token':
    case 'bad-expires-in':
      return;
    default:
      bad('unknown fault type');
  }
}

/** Pending faults, matched in registration order, at most one per request. */
export class FaultPlan {
  #pending: PendingFault[] = [];

  add(fault: EmulatorFault, options: EmulatorFaultOptions = {}): void {
    validate(fault);
    const { times, rate, path } = options;
    if (times !== undefined && rate !== undefined) {
      throw new RangeError('GoToEmulator.fault: give either times or rate, not both');
    }
    if (times !== undefined && (!Number.isInteger(times) || times < 1)) {
      throw new RangeError('GoToEmulator.fault: times must be an integer >= 1');
    }
    if (rate !== undefined && !(rate >= 0 && rate <= 1)) {
      throw new RangeError('GoToEmulator.fault: rate must be between 0 and 1');
    }
    this.#pending.push({ fault: { ...fault }, path, remaining: times ?? 1, rate });
  }

  take(path: string): EmulatorFault | undefined {
    for (const [index, pending] of this.#pending.entries()) {
      if (pending.path === undefined ? !isTokenPath(path) : !path.startsWith(pending.path)) {
        continue;
      }
      if (pending.rate !== undefined) {
        if (Math.random() < pending.rate) return pending.fault;
        continue;
      }
      if (--pending.remaining === 0) this.#pending.splice(index, 1);
      return pending.fault;
    }
    return undefined;
  }

  clear(): void {
    this.#pending = [];
  }
}

/** The documented success shape, with tokens nobody issued: a fault never changes state. */
function fakeTokenBody(): Record<string, string> {
  return {
    access_token: newAccessToken(),
    expires_in: '3600',
    refresh_token: newRefreshToken(),
    organizer_key: '8439885694023999999',
    account_key: '9999982253621659654',
    account_type: '',
    firstName: 'Mahar',
    lastName: 'Singh',
    email: '',
    platform: 'GLOBAL',
    version: '2',
  };
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(body);
}

let oversized: Buffer | undefined;

/** Answers instead of the endpoint; returns the status sent (0 when the socket was dropped). */
export function answerFault(
  res: ServerResponse,
  fault: Exclude<EmulatorFault, { type: 'latency' }>,
): number {
  const json = 'application/json';
  switch (fault.type) {
    case 'status': {
      if (fault.status === 500) {
        const body = { error: 'server_error', error_description: 'Internal server error' };
        send(res, 500, json, JSON.stringify(body));
      } else {
        const text = fault.status === 502 ? 'Bad Gateway' : 'Service Unavailable';
        send(res, fault.status, 'text/plain; charset=utf-8', `${fault.status} ${text}\n`);
      }
      return fault.status;
    }
    case 'rate-limit': {
      const body = { error: 'rate_limited', error_description: 'Too many requests' };
      send(res, 429, json, JSON.stringify(body), {
        'Retry-After': String(fault.retryAfterSeconds),
      });
      return 429;
    }
    case 'malformed-json':
      send(res, 200, json, JSON.stringify(fakeTokenBody()).slice(0, 60));
      return 200;
    case 'html':
      send(
        res,
        200,
        'text/html; charset=utf-8',
        '<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body>' +
          '<h1>Service Unavailable</h1><p>The upstream server is unavailable.</p></body></html>\n',
      );
      return 200;
    case 'drop':
      res.socket?.destroy();
      return 0;
    case 'oversized': {
      oversized ??= Buffer.from(
        JSON.stringify({ ...fakeTokenBody(), padding: 'x'.repeat(OVERSIZED_BYTES) }),
      );
      send(res, 200, json, oversized);
      return 200;
    }
    case 'missing-access-token': {
      const { access_token: _omitted, ...body } = fakeTokenBody();
      send(res, 200, json, JSON.stringify(body));
      return 200;
    }
    case 'bad-expires-in':
      send(res, 200, json, JSON.stringify({ ...fakeTokenBody(), expires_in: 'soon' }));
      return 200;
  }
}
