import { readBodyCapped } from './body.js';

/**
 * Whether a GoTo API answer means "this access token is no longer accepted": 401, or 403 with
 * `int_err_code` `InvalidToken` (how GoTo's product APIs say it). Adapters then call
 * `auth.invalidate(token)` and retry once.
 *
 * @param body - the parsed JSON body of a 403, when there is one
 */
export function isTokenRejection(status: number, body?: unknown): boolean {
  if (status === 401) return true;
  if (status !== 403 || typeof body !== 'object' || body === null) return false;
  return (body as Record<string, unknown>).int_err_code === 'InvalidToken';
}

/**
 * {@link isTokenRejection} for a fetch `Response`. Reads a clone of a 403's body, at most
 * 64 KiB whether or not the answer has a `Content-Length` (a longer body is not a rejection),
 * so the caller can still read the original in full.
 */
export async function isRejectedResponse(response: Response): Promise<boolean> {
  if (response.status === 401) return true;
  if (response.status !== 403) return false;
  try {
    // Only the clone's branch is cancelled past the cap: the caller's copy stays whole.
    const text = await readBodyCapped(response.clone(), 65_536);
    return text !== undefined && isTokenRejection(403, JSON.parse(text));
  } catch {
    return false;
  }
}
