-- readd: ARGV base, conn, user, node, addr ('' for none), ttl in ms, groups...
-- Records a live connection again as held by node, after the node found
-- its registrations gone (Redis lost its data, or the node was taken for
-- dead and reaped), and the connection-level memberships the node's index
-- holds for it (ARGV[7] on); records that node serves the hub.
-- A connection another node took over meanwhile (it is recorded with
-- another address) stays with that node: returns 0.
local base, conn, user, node, addr = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local cur_addr = redis.call('HGET', base .. 'addr', conn)
if cur_addr and addr ~= '' and cur_addr ~= addr then return 0 end
serve(base, node, tonumber(ARGV[6]))
local cur = redis.call('HGET', base .. 'node', conn)
if cur and cur ~= node then redis.call('SREM', base .. 'n:' .. cur, conn) end
redis.call('HSET', base .. 'conns', conn, user)
redis.call('HSET', base .. 'node', conn, node)
if addr ~= '' then redis.call('HSET', base .. 'addr', conn, addr) end
redis.call('SADD', base .. 'n:' .. node, conn)
if user ~= '' then redis.call('SADD', base .. 'u:' .. user, conn) end
for i = 7, #ARGV do join(base, conn, ARGV[i]) end
return 1
