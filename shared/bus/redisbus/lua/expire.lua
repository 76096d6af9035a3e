-- expire: ARGV base, hub, limit.
-- Pops up to limit user-level memberships that are due from the hub's
-- expiry zset, removes each (the user's connections leave the group) and
-- publishes a remove-from-group envelope (scope user) for it. Popping and
-- publishing are one step, so however many nodes sweep, each expiry is
-- delivered once. Returns {popped, next}: next is the earliest remaining
-- expiry in server milliseconds, or -1.
local base, hub, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])
local now = now_ms()
local exp = base .. 'exp'
local due = redis.call('ZRANGEBYSCORE', exp, '-inf', now, 'LIMIT', 0, limit)
for _, m in ipairs(due) do
  redis.call('ZREM', exp, m)
  local user, group = parse_member(m)
  local ug = base .. 'ug:' .. user
  local score = redis.call('ZSCORE', ug, group)
  if score and not active(score, now) then
    redis.call('ZREM', ug, group)
    redis.call('ZREM', base .. 'ugn:' .. user, group)
    for _, conn in ipairs(redis.call('SMEMBERS', base .. 'u:' .. user)) do
      leave(base, conn, group)
    end
    publish(hub, K_REMOVE, S_USER, user, group)
  end
end
local first = redis.call('ZRANGE', exp, 0, 0, 'WITHSCORES')
local nxt = -1
if first[2] then nxt = tonumber(first[2]) end
return {#due, nxt}
