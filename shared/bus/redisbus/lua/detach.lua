-- detach: ARGV base, conn, node, detached ('1' to detach, '0' to attach), meta.
-- Marks a connection the node holds detached (another node may take it
-- over) or attached again. Returns 0 when the node does not hold it (it
-- ended or was taken over), else 1.
local base, conn, node = ARGV[1], ARGV[2], ARGV[3]
if redis.call('HGET', base .. 'node', conn) ~= node then return 0 end
if ARGV[4] == '1' then
  redis.call('HSET', base .. 'det', conn, ARGV[5])
else
  redis.call('HDEL', base .. 'det', conn)
end
return 1
