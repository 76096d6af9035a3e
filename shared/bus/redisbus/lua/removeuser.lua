-- removeuser: ARGV base, hub, group ('' for every group), user.
-- Drops the user's membership(s), takes the user's connections out of the
-- group(s) and publishes the matching envelope (scope user).
local base, hub, group, user = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local why = not_ready(base)
if why then return redis.error_reply(why) end
local ug = base .. 'ug:' .. user
local conns = redis.call('SMEMBERS', base .. 'u:' .. user)
if group == '' then
  for _, g in ipairs(redis.call('ZRANGE', ug, 0, -1)) do
    redis.call('ZREM', base .. 'exp', exp_member(user, g))
  end
  redis.call('DEL', ug, base .. 'ugn:' .. user)
  for _, conn in ipairs(conns) do leave_all(base, conn) end
  publish(hub, K_REMOVE_ALL, S_USER, user, '')
else
  redis.call('ZREM', ug, group)
  redis.call('ZREM', base .. 'ugn:' .. user, group)
  redis.call('ZREM', base .. 'exp', exp_member(user, group))
  for _, conn in ipairs(conns) do leave(base, conn, group) end
  publish(hub, K_REMOVE, S_USER, user, group)
end
return 1
