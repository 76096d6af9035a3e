-- adduser: ARGV base, hub, group, user, ttl in ms (< 0: none given; 0:
-- record nothing), the most recorded memberships of a user (0: no limit),
-- the lifetime of a membership without ttl in ms, the most memberships
-- without ttl a user keeps (0: no limit).
-- Joins the user's connections, records the membership and publishes an
-- add-to-group envelope (scope user). A membership without ttl expires
-- after the lifetime, and only the user's most recently updated ones are
-- kept (ugn:<user>, scored by update time): the oldest beyond the most is
-- removed like an expiry. Returns the membership's expiry in server
-- milliseconds, or -1 when recording it would exceed the limit (nothing
-- applied).
local base, hub, group, user, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local why = not_ready(base)
if why then return redis.error_reply(why) end
local limit = tonumber(ARGV[6]) or 0
local lifetime = tonumber(ARGV[7]) or 0
local keep = tonumber(ARGV[8]) or 0
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
local ugn = base .. 'ugn:' .. user
if ttl < 0 then
  local now = now_ms()
  expires = now + lifetime
  redis.call('ZADD', base .. 'ug:' .. user, expires, group)
  redis.call('ZADD', base .. 'exp', expires, exp_member(user, group))
  redis.call('ZADD', ugn, now, group)
elseif ttl > 0 then
  expires = now_ms() + ttl
  redis.call('ZADD', base .. 'ug:' .. user, expires, group)
  redis.call('ZADD', base .. 'exp', expires, exp_member(user, group))
  redis.call('ZREM', ugn, group)
end
publish(hub, K_ADD, S_USER, user, group)
if ttl < 0 and keep > 0 then
  local conns = nil
  while redis.call('ZCARD', ugn) > keep do
    local old = redis.call('ZRANGE', ugn, 0, 0)[1]
    redis.call('ZREM', ugn, old)
    redis.call('ZREM', base .. 'ug:' .. user, old)
    redis.call('ZREM', base .. 'exp', exp_member(user, old))
    conns = conns or redis.call('SMEMBERS', base .. 'u:' .. user)
    for _, conn in ipairs(conns) do leave(base, conn, old) end
    publish(hub, K_REMOVE, S_USER, user, old)
  end
end
return expires
