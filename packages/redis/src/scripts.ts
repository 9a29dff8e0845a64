import { createHash } from 'node:crypto';

/** A Lua script and the SHA-1 that EVALSHA names it by. */
export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * KEYS[1]: the token hash. ARGV: issuedAt, value, ttl in ms. Returns 1 when written, 0 when the
 * stored token is newer. The check and the write must be one step: a holder that stalled past
 * its lock would otherwise overwrite the token its successor just stored.
 */
export const SET_UNLESS_NEWER =
  script(`local stored = tonumber(redis.call('HGET', KEYS[1], 'issuedAt'))
if stored ~= nil and stored > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'issuedAt', ARGV[1], 'value', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`);

/**
 * KEYS[1]: the lock. ARGV[1]: the holder's random value. Deletes the lock only if this holder
 * still owns it: once it expired, another process may hold it.
 */
export const RELEASE_LOCK = script(`if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`);
