import { Script } from './call'

/**
 * The Lua scripts of the Redis store. Each namespace has one hash, `<namespace>:v`, holding
 * its epoch, its invalidation sequence, the longest entry lifetime written so far, and one
 * field per invalidated tag (`t:<tag>`) or key (`k:<key>`) whose value is
 * `"<latest version> <latest hard version> <time>"`. Entries are hashes `<namespace>:e:<key>`
 * with the value (`v`), the epoch (`p`) and sequence (`s`) of their stamp, their tags as JSON
 * (`t`) and their load, freshness and grace times (`l`, `f`, `g`); each expires at the end of
 * its grace.
 *
 * Keeping the epoch in the same hash as the versions makes a lost hash (a restart without
 * persistence, an eviction, a flush) safe: the next call finds no epoch, starts a new one,
 * and every entry stamped with the old epoch is treated as gone.
 */

const COMMON = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The namespace's epoch, sequence and longest lifetime; a new epoch when the hash is gone.
local function state(versions, candidate)
  local s = redis.call('HMGET', versions, 'epoch', 'seq', 'life')
  if not s[1] then
    redis.call('HSET', versions, 'epoch', candidate, 'seq', '0', 'life', '0')
    return candidate, 0, 0
  end
  return s[1], tonumber(s[2] or '0'), tonumber(s[3] or '0')
end

-- How long a version must be kept: longer than any entry it could still reach lives.
local function version_ttl(life)
  return math.max(2 * life, 3600000)
end

-- 0: no invalidation of the key or a tag after the stamp; 1: a soft one; 2: a hard one.
local function judge(versions, key, tags_json, stamp)
  local fields = { 'k:' .. key }
  for _, tag in ipairs(cjson.decode(tags_json)) do fields[#fields + 1] = 't:' .. tag end
  local standing = 0
  for _, version in ipairs(redis.call('HMGET', versions, unpack(fields))) do
    if version then
      local latest, hard = string.match(version, '^(%d+) (%d+)')
      if tonumber(hard) > stamp then return 2 end
      if tonumber(latest) > stamp then standing = 1 end
    end
  end
  return standing
end
`

/**
 * Reads entries, judged, with the stamp for a load starting now.
 * KEYS: versions, then one entry key per key. ARGV: epoch candidate, then the keys.
 * Returns the epoch, the sequence and the server time of the stamp, then per key nil or
 * `{ value, standing, tags, loadedAt, freshUntil, graceUntil }`.
 */
export const READ = new Script(`${COMMON}
local epoch, seq = state(KEYS[1], ARGV[1])
local out = { epoch, tostring(seq), string.format('%.0f', now_ms()) }
for i = 2, #KEYS do
  local found = false
  local e = redis.call('HMGET', KEYS[i], 'v', 'p', 's', 't', 'l', 'f', 'g')
  if e[1] then
    local standing = 2
    if e[2] == epoch then standing = judge(KEYS[1], ARGV[i], e[4], tonumber(e[3])) end
    if standing == 2 then
      redis.call('DEL', KEYS[i])
    else
      found = { e[1], standing, e[4], e[5], e[6], e[7] }
    end
  end
  out[#out + 1] = found
end
return out
`)

/**
 * Writes entries under a stamp, refusing each one an invalidation reached after the stamp
 * or that would replace an entry with a newer stamp; an empty stamp epoch writes as of now.
 * KEYS: versions, then one entry key per entry. ARGV: epoch candidate, stamp epoch, stamp
 * sequence, stamp time, then per entry its key, value, tags as JSON, load, freshness and
 * grace times. Returns how many were written.
 */
export const WRITE = new Script(`${COMMON}
local epoch, seq, life = state(KEYS[1], ARGV[1])
local stamp = seq
if ARGV[2] ~= '' then
  if ARGV[2] ~= epoch then return 0 end
  stamp = tonumber(ARGV[3])
  -- Versions younger than the load may have expired: nothing can judge it any more.
  if now_ms() - tonumber(ARGV[4]) > version_ttl(life) then return 0 end
end
local longest = life
local written = 0
for i = 2, #KEYS do
  local base = 5 + (i - 2) * 6
  local lifetime = math.ceil(tonumber(ARGV[base + 5]) - tonumber(ARGV[base + 3]))
  if lifetime > 0 and judge(KEYS[1], ARGV[base], ARGV[base + 2], stamp) == 0 then
    local held = redis.call('HMGET', KEYS[i], 'p', 's')
    if held[1] ~= epoch or tonumber(held[2]) <= stamp then
      redis.call('HSET', KEYS[i], 'v', ARGV[base + 1], 'p', epoch, 's', tostring(stamp),
        't', ARGV[base + 2], 'l', ARGV[base + 3], 'f', ARGV[base + 4], 'g', ARGV[base + 5])
      redis.call('PEXPIRE', KEYS[i], lifetime)
      if lifetime > longest then longest = lifetime end
      written = written + 1
    end
  end
end
if longest > life then redis.call('HSET', KEYS[1], 'life', tostring(longest)) end
return written
`)

/**
 * Records an invalidation: one sequence step and one field per tag and key, whatever the
 * number of entries; a hard one also deletes the keys' entries, and `all` starts a new
 * epoch instead. A few old fields are pruned on the way, so the hash stays bounded.
 * KEYS: versions, then the entry key of each invalidated key. ARGV: epoch candidate, mode
 * (`hard`, `soft` or `all`), the number of tags, the tags, then the keys.
 * Returns the new sequence number.
 */
export const INVALIDATE = new Script(`${COMMON}
local epoch, seq, life = state(KEYS[1], ARGV[1])
if ARGV[2] == 'all' then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'seq', tostring(seq + 1), 'life', tostring(life))
  return seq + 1
end

seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local now = now_ms()
local hard = ARGV[2] == 'hard'
local count = tonumber(ARGV[3])
local function record(field)
  local hard_version = seq
  if not hard then
    hard_version = 0
    local previous = redis.call('HGET', KEYS[1], field)
    if previous then hard_version = tonumber(string.match(previous, '^%d+ (%d+)')) end
  end
  local at = string.format('%.0f', now)
  redis.call('HSET', KEYS[1], field, seq .. ' ' .. hard_version .. ' ' .. at)
end
for i = 4, 3 + count do record('t:' .. ARGV[i]) end
for i = 4 + count, #ARGV do
  record('k:' .. ARGV[i])
  if hard then redis.call('DEL', KEYS[i - count - 2]) end
end

-- Prune: look at a few fields from where the last invalidation stopped, drop expired ones.
local ttl = version_ttl(life)
local scan = redis.call('HSCAN', KEYS[1], redis.call('HGET', KEYS[1], 'cursor') or '0',
  'COUNT', 16 + 4 * (#ARGV - 3))
local fields = scan[2]
for i = 1, #fields, 2 do
  local kind = string.sub(fields[i], 1, 2)
  if kind == 't:' or kind == 'k:' then
    local at = tonumber(string.match(fields[i + 1], ' (%d+)$'))
    if at and now - at > ttl then redis.call('HDEL', KEYS[1], fields[i]) end
  end
end
redis.call('HSET', KEYS[1], 'cursor', scan[1])
return seq
`)
