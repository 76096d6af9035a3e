-- unregister: ARGV base, conn, node ('' for any node), chunk (0: none).
-- Forgets the connection unless another node than the given one holds it.
-- Publishes nothing. Returns 1 when it was removed, 0 when not. With a
-- chunk, a connection in more groups than that leaves chunk of them and
-- the script returns -1 without forgetting it: call it again, so no one
-- call blocks Redis for long however many groups the connection is in.
local base, conn, only, chunk = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]) or 0
local user = redis.call('HGET', base .. 'conns', conn)
if not user then return 0 end
local node = redis.call('HGET', base .. 'node', conn)
if only ~= '' and node ~= only then return 0 end
if chunk > 0 then
  local cg = base .. 'cg:' .. conn
  if redis.call('SCARD', cg) > chunk then
    for _, g in ipairs(redis.call('SPOP', cg, chunk)) do
      redis.call('SREM', base .. 'g:' .. g, conn)
    end
    return -1
  end
end
drop_conn(base, conn, user, node)
if node then unserve(base, node) end
return 1
