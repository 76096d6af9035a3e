-- quota: KEYS[1] nodes zset, KEYS[2] set of the nodes with quota counts;
-- ARGV quota key prefix, node, user field ('' for anonymous), max, per
-- user, acquire ('1' or '0').
-- Sums the connection counts of the nodes not known dead (total under
-- field 't', per user under the user field; a node that has not sent its
-- first heartbeat yet counts); returns {1, total} when the deployment
-- holds max connections, {2, count} when the user holds per-user ones,
-- else {0, 0}, after counting one more connection for node when acquire
-- is '1'. Counts of dead nodes stop counting at once; reaping deletes them.
local prefix, node, field = ARGV[1], ARGV[2], ARGV[3]
local max, per = tonumber(ARGV[4]), tonumber(ARGV[5])
if field == '' then per = 0 end
local total, mine = 0, 0
if max > 0 or per > 0 then
  local now = now_ms()
  for _, n in ipairs(redis.call('SMEMBERS', KEYS[2])) do
    local alive = redis.call('ZSCORE', KEYS[1], n)
    if not alive or tonumber(alive) > now then
      local h = prefix .. n
      if max > 0 then total = total + tonumber(redis.call('HGET', h, 't') or '0') end
      if per > 0 then mine = mine + tonumber(redis.call('HGET', h, field) or '0') end
    end
  end
end
if max > 0 and total >= max then return {1, total} end
if per > 0 and mine >= per then return {2, mine} end
if ARGV[6] == '1' then
  local h = prefix .. node
  redis.call('SADD', KEYS[2], node)
  redis.call('HINCRBY', h, 't', 1)
  if field ~= '' then redis.call('HINCRBY', h, field, 1) end
end
return {0, 0}
