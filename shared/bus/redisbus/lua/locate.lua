-- locate: ARGV base, conn.
-- Returns the address of the node holding the connection ('' for none),
-- or nil when it is not registered.
local base, conn = ARGV[1], ARGV[2]
if redis.call('HEXISTS', base .. 'conns', conn) == 0 then return false end
return conn_addr(base, conn, redis.call('HGET', base .. 'node', conn))
