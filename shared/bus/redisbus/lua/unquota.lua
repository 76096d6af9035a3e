-- unquota: KEYS[1] and ARGV[1] the quota key of the node (the key routes
-- the script to the {nodes} slot), ARGV[2] user field ('' for anonymous).
-- Undoes one count of quota.lua; fields never go below zero.
local h, field = ARGV[1], ARGV[2]
local function dec(f)
  if tonumber(redis.call('HINCRBY', h, f, -1)) <= 0 then redis.call('HDEL', h, f) end
end
dec('t')
if field ~= '' then dec(field) end
return 0
