-- negotiate: KEYS[1] and ARGV[1] the key prefix of the per-second counters
-- (the key, never touched itself, routes the script to the {nodes} slot),
-- ARGV[2] negotiates per second.
-- Counts one negotiate in the current second of the Redis clock; returns
-- {1, 0} when within the budget, else {0, ms until the next second}.
local now = now_ms()
local key = ARGV[1] .. math.floor(now / 1000)
local n = redis.call('INCR', key)
if n == 1 then redis.call('PEXPIRE', key, 2000) end
if n > tonumber(ARGV[2]) then
  redis.call('DECR', key)
  return {0, 1000 - now % 1000}
end
return {1, 0}
