-- dropnode: ARGV base, node, limit.
-- Forgets up to limit connections a dead node held in the hub (those that
-- moved to another node are left alone). Publishes nothing: nobody holds
-- them. Once none is left, the node no longer serves the hub. Returns
-- how many of the node's connections remain in the hub.
local base, node, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])
local set = base .. 'n:' .. node
for _, conn in ipairs(redis.call('SPOP', set, limit)) do
  if redis.call('HGET', base .. 'node', conn) == node then
    drop_conn(base, conn, redis.call('HGET', base .. 'conns', conn) or '', false)
  end
end
unserve(base, node)
return redis.call('SCARD', set)
