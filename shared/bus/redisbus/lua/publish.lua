-- publish: KEYS[1] channel, KEYS[2] epoch (one server only); ARGV base,
-- payload. Publishes payload on the hub's channel when every gateway node
-- serving the hub is subscribed, else fails with a NOTREADY error
-- (nothing published).
local why = not_ready(ARGV[1])
if why then return redis.error_reply(why) end
redis.call('SPUBLISH', KEYS[1], ARGV[2])
return 1
