-- adduser: ARGV base, hub, group, user, ttl in ms (< 0: no expiry; 0:
-- record nothing), the most recorded memberships of a user (0: no limit).
-- Joins the user's connections, records the membership and publishes an
-- add-to-group envelope (scope user). Returns the membership's expiry in
-- server milliseconds, 0 when it has none, or -1 when recording it would
-- exceed the limit (nothing applied).
local base, hub, group, user, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local why = not_ready(base)
if why then return redis.error_reply(why) end
local limit = tonumber(ARGV[6]) or 0
if ttl ~= 0 and limit > 0 then
  local ug = base .. 'ug:' .. user
  if not redis.call('ZSCORE', ug, group) and redis.call('ZCOUNT', ug, '(' .. now_ms(), '+inf') >= limit then
    return -1
  end
end
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
