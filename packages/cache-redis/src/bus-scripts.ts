import { Script } from './call'

/**
 * The Lua scripts of the Redis bus. A channel's state hash `<channel>:state` holds its
 * epoch and its message sequence; `<channel>:log` keeps the newest messages, each as
 * `"<epoch> <sequence> <payload>"`, for subscribers that come back after missing some.
 * Numbering and publishing happen in one script, so subscribers receive the numbers in
 * order, without gaps, as long as their connection holds.
 */

const STATE = `
-- The channel's epoch and sequence; a new epoch, and an empty log, when the state is gone.
local function state(keys, candidate)
  local s = redis.call('HMGET', keys[1], 'epoch', 'seq')
  if not s[1] then
    redis.call('DEL', keys[2])
    redis.call('HSET', keys[1], 'epoch', candidate, 'seq', '0')
    return candidate, 0
  end
  return s[1], tonumber(s[2])
end
`

/**
 * Numbers, logs and publishes one message.
 * KEYS: state, log. ARGV: channel, payload, log length, epoch candidate.
 * Returns the sequence number and how many subscriptions received the message.
 */
export const PUBLISH = new Script(`${STATE}
local epoch = state(KEYS, ARGV[4])
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local message = epoch .. ' ' .. seq .. ' ' .. ARGV[2]
redis.call('LPUSH', KEYS[2], message)
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
return { seq, redis.call('PUBLISH', ARGV[1], message) }
`)

/**
 * Tells a subscriber how to get back in step.
 * KEYS: state, log. ARGV: the epoch it knows (empty if none), the last sequence it applied,
 * an epoch candidate.
 * Returns the epoch, the sequence and `current`, `reset` (another epoch, a sequence that
 * went back, or more missed than the log keeps), or `replay` with the missed messages,
 * newest first.
 */
export const SYNC = new Script(`${STATE}
local epoch, seq = state(KEYS, ARGV[3])
local last = tonumber(ARGV[2])
if epoch ~= ARGV[1] or last > seq then return { epoch, seq, 'reset' } end
local missing = seq - last
if missing == 0 then return { epoch, seq, 'current' } end
if missing > redis.call('LLEN', KEYS[2]) then return { epoch, seq, 'reset' } end
return { epoch, seq, 'replay', redis.call('LRANGE', KEYS[2], 0, missing - 1) }
`)
