-- reaped: KEYS[1] reaping zset, KEYS[2] the node's hub set; ARGV node.
-- Ends a reaping once the node's hub set is empty; returns 1 then, else 0
-- (a hub was added meanwhile: the lease runs out and it is reaped again).
if redis.call('SCARD', KEYS[2]) == 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
return 0
