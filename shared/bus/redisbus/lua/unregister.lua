-- unregister: ARGV base, conn, node ('' for any node).
-- Forgets the connection unless another node than the given one holds it.
-- Publishes nothing. Returns 1 when it was removed.
local base, conn, only = ARGV[1], ARGV[2], ARGV[3]
local user = redis.call('HGET', base .. 'conns', conn)
if not user then return 0 end
local node = redis.call('HGET', base .. 'node', conn)
if only ~= '' and node ~= only then return 0 end
drop_conn(base, conn, user, node)
if node then unserve(base, node) end
return 1
