-- grouppage: ARGV base, group, max, cursor.
-- Lists up to max connections of the group with their users. The cursor
-- is '' to start, else '<sscan cursor>:<last id>': the SSCAN batch to
-- resume and the last id returned from it (batches are sorted, so a page
-- may end inside one). Returns {next, id, user, id, user, ...}; next is ''
-- when the listing is complete. A few SSCAN batches per call at most, so a
-- page may be short while next is not ''.
local base, group, max, cursor = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local key = base .. 'g:' .. group
local scan, after = '0', nil
if cursor ~= '' then
  local i = string.find(cursor, ':', 1, true)
  scan, after = string.sub(cursor, 1, i - 1), string.sub(cursor, i + 1)
end
local ids, nxt = {}, nil
for _ = 1, 16 do
  local r = redis.call('SSCAN', key, scan, 'COUNT', max)
  local batch = r[2]
  table.sort(batch, less)
  for _, id in ipairs(batch) do
    if after == nil or less(after, id) then
      if #ids == max then
        nxt = scan .. ':' .. ids[#ids]
        break
      end
      ids[#ids + 1] = id
    end
  end
  if nxt then break end
  scan, after = r[1], nil
  if scan == '0' then nxt = '' break end
  if #ids == max then nxt = scan .. ':' break end
end
if not nxt then nxt = scan .. ':' end
local res = {nxt}
if #ids > 0 then
  local users = redis.call('HMGET', base .. 'conns', unpack(ids))
  for i, id in ipairs(ids) do
    if users[i] then
      res[#res + 1] = id
      res[#res + 1] = users[i]
    end
  end
end
return res
