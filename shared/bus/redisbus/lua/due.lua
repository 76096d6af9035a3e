-- due: KEYS[1] expiry index zset, KEYS[2] version hash; ARGV limit.
-- Returns {hub, version, ...} for up to limit hubs whose earliest
-- user-group expiry has come.
local out = {}
for _, hub in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms(), 'LIMIT', 0, tonumber(ARGV[1]))) do
  out[#out + 1] = hub
  out[#out + 1] = redis.call('HGET', KEYS[2], hub) or '0'
end
return out
