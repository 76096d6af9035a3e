-- readd: ARGV base, conn, user, node, addr ('' for none).
-- Records a live connection again as held by node, after the node found
-- its registrations gone (Redis lost its data, or the node was taken for
-- dead and reaped). Group memberships the connection had are not restored.
local base, conn, user, node, addr = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local cur = redis.call('HGET', base .. 'node', conn)
if cur and cur ~= node then redis.call('SREM', base .. 'n:' .. cur, conn) end
redis.call('HSET', base .. 'conns', conn, user)
redis.call('HSET', base .. 'node', conn, node)
if addr ~= '' then redis.call('HSET', base .. 'addr', conn, addr) end
redis.call('SADD', base .. 'n:' .. node, conn)
if user ~= '' then redis.call('SADD', base .. 'u:' .. user, conn) end
return 1
