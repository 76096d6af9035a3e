-- resched: KEYS[1] expiry index zset, KEYS[2] version hash; ARGV hub,
-- version, next expiry ms (-1: none left).
-- After a sweep of the hub: unless its version changed since the sweep
-- read it, records its next expiry or drops it from the index.
local hub, ver, nxt = ARGV[1], ARGV[2], tonumber(ARGV[3])
if (redis.call('HGET', KEYS[2], hub) or '0') ~= ver then return 0 end
if nxt < 0 then
  redis.call('ZREM', KEYS[1], hub)
  redis.call('HDEL', KEYS[2], hub)
else
  redis.call('ZADD', KEYS[1], nxt, hub)
end
return 1
