-- unquota: ARGV quota key of the node, user field ('' for anonymous).
-- Undoes one count of quota.lua; fields never go below zero.
local h, field = ARGV[1], ARGV[2]
local function dec(f)
  if tonumber(redis.call('HINCRBY', h, f, -1)) <= 0 then redis.call('HDEL', h, f) end
end
dec('t')
if field ~= '' then dec(field) end
return 0
