-- refresh: KEYS[1] channel; ARGV base, node, ttl in ms.
-- The heartbeat's record that node still serves the hub, made only while
-- the node holds a connection there: the hub's last connection may have
-- left since the heartbeat listed it, and a node put back in the live zset
-- after it unsubscribed would make every send to the hub refused until the
-- entry expired.
if redis.call('SCARD', ARGV[1] .. 'n:' .. ARGV[2]) > 0 then
  serve(ARGV[1], ARGV[2], tonumber(ARGV[3]))
end
return 1
