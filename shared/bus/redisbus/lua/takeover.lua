-- takeover: ARGV base, hub, conn, node, addr ('' for none), taker, ttl in ms,
-- legacy (see register).
-- Moves a connection to node when its node detached it or no longer
-- serves the hub (its live entry ran out: it died), and publishes the
-- handover envelope (scope connection, tk = taker) in the hub's stream.
-- Returns {0} for an unknown connection, {-1} for one still attached to
-- a live node, {-2} for one node holds already, else
-- {1, old node's address, user, meta ('' when not detached), groups...}.
local base, hub, conn, node, addr, taker = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local why = not_ready(base)
if why then return redis.error_reply(why) end
local user = redis.call('HGET', base .. 'conns', conn)
if not user then return {0} end
local old = redis.call('HGET', base .. 'node', conn)
if old == node then return {-2} end
if redis.call('HEXISTS', base .. 'det', conn) == 0 and old then
  local live_until = redis.call('ZSCORE', base .. 'live', old)
  if live_until and tonumber(live_until) > now_ms() then return {-1} end
end
local from = conn_addr(base, conn, old)
local meta = redis.call('HGET', base .. 'det', conn) or ''
redis.call('HDEL', base .. 'det', conn)
-- A legacy record (see conn_addr) gets the taker's address: the node of
-- the older version that recorded it, handing the connection over while
-- it drains, finds the taker through it.
if redis.call('HEXISTS', base .. 'addr', conn) == 1 then
  if addr ~= '' then
    redis.call('HSET', base .. 'addr', conn, addr)
  else
    redis.call('HDEL', base .. 'addr', conn)
  end
end
if old then redis.call('SREM', base .. 'n:' .. old, conn) end
serve(base, node, tonumber(ARGV[7]))
redis.call('HSET', base .. 'node', conn, node)
set_addr(base, node, conn, addr, ARGV[8])
redis.call('SADD', base .. 'n:' .. node, conn)
if old then unserve(base, old) end
redis.call('SPUBLISH', KEYS[1], cjson.encode({k = K_HANDOVER, h = hub, s = S_CONN, i = conn, tk = taker}))
local groups = redis.call('SMEMBERS', base .. 'cg:' .. conn)
table.sort(groups, less)
local res = {1, from, user, meta}
for _, g in ipairs(groups) do res[#res + 1] = g end
return res
