-- conngroup: ARGV base, hub, kind, conn, group ('' for remove-from-all).
-- Applies a connection-level membership change and publishes its envelope.
-- Returns 0 for an unknown connection (nothing applied), else 1.
local base, hub, kind, conn, group = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
local why = not_ready(base)
if why then return redis.error_reply(why) end
if redis.call('HEXISTS', base .. 'conns', conn) == 0 then return 0 end
if kind == K_ADD then
  join(base, conn, group)
elseif kind == K_REMOVE then
  leave(base, conn, group)
else
  leave_all(base, conn)
end
publish(hub, kind, S_CONN, conn, group)
return 1
