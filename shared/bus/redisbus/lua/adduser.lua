-- adduser: ARGV base, hub, group, user, ttl in ms (< 0: no expiry; 0:
-- record nothing). Joins the user's connections, records the membership
-- and publishes an add-to-group envelope (scope user). Returns the
-- membership's expiry in server milliseconds, or 0 when it has none.
local base, hub, group, user, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local why = not_ready(base)
if why then return redis.error_reply(why) end
for _, conn in ipairs(redis.call('SMEMBERS', base .. 'u:' .. user)) do
  join(base, conn, group)
end
local expires = 0
if ttl < 0 then
  redis.call('ZADD', base .. 'ug:' .. user, '+inf', group)
  redis.call('ZREM', base .. 'exp', exp_member(user, group))
elseif ttl > 0 then
  expires = now_ms() + ttl
  redis.call('ZADD', base .. 'ug:' .. user, expires, group)
  redis.call('ZADD', base .. 'exp', expires, exp_member(user, group))
end
publish(hub, K_ADD, S_USER, user, group)
return expires
