-- conngroup: ARGV base, hub, kind, conn, group ('' for remove-from-all),
-- the most groups of a connection (0: no limit).
-- Applies a connection-level membership change and publishes its envelope.
-- Returns 0 for an unknown connection (nothing applied), -1 for a join
-- over the limit (nothing applied), else 1.
local base, hub, kind, conn, group = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
local why = not_ready(base)
if why then return redis.error_reply(why) end
local limit = tonumber(ARGV[6]) or 0
if redis.call('HEXISTS', base .. 'conns', conn) == 0 then return 0 end
if kind == K_ADD and limit > 0 then
  local cg = base .. 'cg:' .. conn
  if redis.call('SISMEMBER', cg, group) == 0 and redis.call('SCARD', cg) >= limit then return -1 end
end
if kind == K_ADD then
  join(base, conn, group)
elseif kind == K_REMOVE then
  leave(base, conn, group)
else
  leave_all(base, conn)
end
publish(hub, kind, S_CONN, conn, group)
return 1
