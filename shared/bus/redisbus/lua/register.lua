-- register: ARGV base, hub, conn, user, node, addr ('' for none), ttl in ms,
-- legacy ('1' while set_addr must also record addr per connection).
-- Records that node serves the hub (see serve) and the connection, joins it to its user's unexpired user-level
-- groups (sorted) and publishes one add-to-group envelope (scope
-- connection) per group. Returns {0} when the id is taken, else {1, groups...}.
local base, hub, conn, user, node, addr = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
if redis.call('HSETNX', base .. 'conns', conn, user) == 0 then return {0} end
-- Most connects find the node's live entry fresh: rewrite it only when
-- it is missing or half its ttl is gone (the heartbeat refreshes it too).
local ttl, live_until = tonumber(ARGV[7]), redis.call('ZSCORE', base .. 'live', node)
if not live_until or tonumber(live_until) < now_ms() + ttl / 2 then serve(base, node, ttl) end
redis.call('HSET', base .. 'node', conn, node)
set_addr(base, node, conn, addr, ARGV[8])
redis.call('SADD', base .. 'n:' .. node, conn)
local res = {1}
if user == '' then return res end
redis.call('SADD', base .. 'u:' .. user, conn)
local groups = redis.call('ZRANGEBYSCORE', base .. 'ug:' .. user, '(' .. now_ms(), '+inf')
table.sort(groups, less)
for _, g in ipairs(groups) do
  join(base, conn, g)
  publish(hub, K_ADD, S_CONN, conn, g)
  res[#res + 1] = g
end
return res
