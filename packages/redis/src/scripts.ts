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
 * KEYS[1]: the token hash. ARGV: the version read (`0` when nothing was stored; `clear` from a
 * store that encrypts and read nothing it could use, which also replaces a token stored in
 * clear), the value, the ttl in ms. Writes only if the stored version is still the one read
 * (compare-and-set), and returns the new version, or 0 when another write came first.
 *
 * The version belongs to the store, never to a host's clock: a new entry starts from the Redis
 * server's own time in microseconds (so a key that expired and came back never reuses an old
 * version), and each write adds one. A hash written before versions existed reads as version 0.
 */
export const SET_IF_VERSION = script(`local current = redis.call('HGET', KEYS[1], 'version') or '0'
if ARGV[1] == 'clear' then
  local stored = redis.call('HGET', KEYS[1], 'value')
  if stored and string.sub(stored, 1, 5) == 'gae1.' then return 0 end
elseif current ~= ARGV[1] then return 0 end
if current == '0' then
  local t = redis.call('TIME')
  redis.call('HSET', KEYS[1], 'version', t[1] .. string.sub('00000' .. t[2], -6))
end
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'value', ARGV[2])
redis.call('HDEL', KEYS[1], 'issuedAt')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return version`);

/**
 * KEYS[1]: the lock. ARGV: the holder's random value, the new ttl in ms. Extends the lock only if
 * this holder still owns it (compare-and-extend); returns 1 when extended, 0 when lost.
 */
export const EXTEND_LOCK = script(`if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`);

/**
 * KEYS[1]: the lock. ARGV[1]: the holder's random value. Deletes the lock only if this holder
 * still owns it: once it expired, another process may hold it.
 */
export const RELEASE_LOCK = script(`if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`);
