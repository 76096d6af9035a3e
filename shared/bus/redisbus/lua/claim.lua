-- claim: KEYS[1] nodes zset, KEYS[2] reaping zset; ARGV lease in ms, limit.
-- Moves up to limit dead nodes to the reaping zset with a lease and takes
-- over reapings whose lease ran out (their reaper died). Returns the nodes
-- the caller now reaps.
local lease, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local now = now_ms()
local out = {}
for _, n in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)) do
  redis.call('ZREM', KEYS[1], n)
  redis.call('ZADD', KEYS[2], now + lease, n)
  out[#out + 1] = n
end
for _, n in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, limit)) do
  redis.call('ZADD', KEYS[2], now + lease, n)
  out[#out + 1] = n
end
return out
