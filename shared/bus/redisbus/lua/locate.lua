-- locate: ARGV base, conn.
-- Returns the address the connection was registered with ('' for none),
-- or nil when it is not registered.
local base, conn = ARGV[1], ARGV[2]
if redis.call('HEXISTS', base .. 'conns', conn) == 0 then return false end
return redis.call('HGET', base .. 'addr', conn) or ''
