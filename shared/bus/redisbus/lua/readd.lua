-- readd: ARGV base, conn, user, node, addr ('' for none), ttl in ms, legacy
-- (see register), groups...
-- Records a live connection again as held by node, after the node found
-- its registrations gone (Redis lost its data, or the node was taken for
-- dead and reaped), and the connection-level memberships the node's index
-- holds for it (ARGV[8] on); records that node serves the hub.
-- A connection another node took over meanwhile (it is held by a node
-- with another address) stays with that node: returns 0.
local base, conn, user, node, addr = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local cur = redis.call('HGET', base .. 'node', conn)
if cur and cur ~= node and addr ~= '' then
  local cur_addr = conn_addr(base, conn, cur)
  if cur_addr ~= '' and cur_addr ~= addr then return 0 end
end
serve(base, node, tonumber(ARGV[6]))
redis.call('HSET', base .. 'conns', conn, user)
redis.call('HSET', base .. 'node', conn, node)
redis.call('HDEL', base .. 'addr', conn) -- legacy record, see conn_addr
set_addr(base, node, conn, addr, ARGV[7])
redis.call('SADD', base .. 'n:' .. node, conn)
if cur and cur ~= node then
  redis.call('SREM', base .. 'n:' .. cur, conn)
  unserve(base, cur)
end
if user ~= '' then redis.call('SADD', base .. 'u:' .. user, conn) end
for i = 8, #ARGV do join(base, conn, ARGV[i]) end
return 1
