-- beat: KEYS[1] nodes zset; ARGV node, ttl in ms, first ('1' or '0').
-- Records that node is alive until ttl from now. Unless first is '1', the
-- node must still be recorded: returns 0 (and records nothing) when it is
-- not, because it was reaped as dead or Redis lost its data.
local node, ttl, first = ARGV[1], tonumber(ARGV[2]), ARGV[3]
if first ~= '1' and not redis.call('ZSCORE', KEYS[1], node) then return 0 end
redis.call('ZADD', KEYS[1], now_ms() + ttl, node)
return 1
