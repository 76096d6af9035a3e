-- refresh: KEYS[1] channel; ARGV base, node, ttl in ms.
-- The heartbeat's record that node still serves the hub.
serve(ARGV[1], ARGV[2], tonumber(ARGV[3]))
return 1
