-- useringroup: ARGV base, group, user.
-- Returns 1 for an unexpired user-level membership or a connection of the
-- user in the group, else 0.
local base, group, user = ARGV[1], ARGV[2], ARGV[3]
local score = redis.call('ZSCORE', base .. 'ug:' .. user, group)
if score and active(score, now_ms()) then return 1 end
return redis.call('SINTERCARD', 2, base .. 'u:' .. user, base .. 'g:' .. group, 'LIMIT', 1)
