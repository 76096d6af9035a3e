-- beat: KEYS[1] nodes zset, KEYS[2] epoch, KEYS[3] the set of nodes that
-- record their address once per node; ARGV node, ttl in ms, first ('1'
-- or '0'), warm in ms, fresh ('1' or '0').
-- Records that node is alive until ttl from now. Unless first is '1', the
-- node must still be recorded: returns 0 (and records nothing) when it is
-- not, because it was reaped as dead or Redis lost its data.
-- The epoch (see ready.go) lives ttl after the last beat of any node. A
-- beat that finds it missing (no node beat for ttl: Redis restarted empty
-- or was frozen, or no gateway ran) starts a warm-up: the epoch reads
-- "ready at now + warm", long enough for every live node to beat, find
-- itself gone and register again. The very first node of a deployment
-- (fresh: its first beat, holding no connection, and no node alive) needs
-- no warm-up.
local node, ttl, first, warm, fresh = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), ARGV[5]
local now = now_ms()
if redis.call('EXISTS', KEYS[2]) == 0 then
  local at = now + warm
  if fresh == '1' and redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf') == 0 then at = now end
  redis.call('SET', KEYS[2], at, 'PX', ttl)
else
  redis.call('PEXPIRE', KEYS[2], ttl)
end
if first ~= '1' and not redis.call('ZSCORE', KEYS[1], node) then return 0 end
redis.call('ZADD', KEYS[1], now + ttl, node)
-- Returns 2 instead of 1 while a live node is not in KEYS[3]: a node of
-- the version that kept an address per connection (set_addr), which
-- never joins it. Members gone from the nodes zset are dropped.
redis.call('SADD', KEYS[3], node)
for _, n in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  if not redis.call('ZSCORE', KEYS[1], n) then redis.call('SREM', KEYS[3], n) end
end
for _, n in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')) do
  if redis.call('SISMEMBER', KEYS[3], n) == 0 then return 2 end
end
return 1
