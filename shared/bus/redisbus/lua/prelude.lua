-- prelude.lua is prepended to every script of this package. Hub scripts
-- get KEYS[1] = the hub's channel (it carries the hub's hash tag, so the
-- script runs on the hub's slot) and ARGV[1] = the hub's key base
-- "<prefix>:{h:<hub>}:", from which they build the hub's other keys. Names
-- and kinds match package bus and keys.go.

-- now_ms returns the Redis server's clock in milliseconds: every node
-- compares times on the one clock, so node clocks may drift.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Envelope kinds and scopes (bus.Kind, bus.Scope).
local K_ADD, K_REMOVE, K_REMOVE_ALL, K_HANDOVER = 3, 4, 5, 6
local S_CONN, S_USER = 2, 3

-- publish sends a membership envelope (the JSON of bus.Envelope) to the
-- hub's subscribers, in order with everything else on the hub's channel.
local function publish(hub, kind, scope, id, group)
  local e = {k = kind, h = hub, s = scope, i = id}
  if group ~= '' then e.g = group end
  redis.call('SPUBLISH', KEYS[1], cjson.encode(e))
end

-- less orders strings by bytes, as Go does (Lua's < follows the locale).
local function less(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

-- exp_member names a user-level membership in the hub's expiry zset:
-- "<len(user)>:<user><group>", so that any user and group names round-trip.
local function exp_member(user, group)
  return #user .. ':' .. user .. group
end

local function parse_member(m)
  local i = string.find(m, ':', 1, true)
  local n = tonumber(string.sub(m, 1, i - 1))
  return string.sub(m, i + 1, i + n), string.sub(m, i + 1 + n)
end

-- active reports whether a user-group zset score is an unexpired
-- membership ("inf" for none).
local function active(score, now)
  return score == 'inf' or tonumber(score) > now
end

local function join(base, conn, group)
  redis.call('SADD', base .. 'g:' .. group, conn)
  redis.call('SADD', base .. 'cg:' .. conn, group)
end

local function leave(base, conn, group)
  redis.call('SREM', base .. 'g:' .. group, conn)
  redis.call('SREM', base .. 'cg:' .. conn, group)
end

local function leave_all(base, conn)
  local cg = base .. 'cg:' .. conn
  for _, g in ipairs(redis.call('SMEMBERS', cg)) do
    redis.call('SREM', base .. 'g:' .. g, conn)
  end
  redis.call('DEL', cg)
end

-- drop_conn forgets a connection: groups, presence, user and node sets.
-- node may be false when the caller already took conn out of its node set.
local function drop_conn(base, conn, user, node)
  leave_all(base, conn)
  redis.call('HDEL', base .. 'conns', conn)
  redis.call('HDEL', base .. 'node', conn)
  redis.call('HDEL', base .. 'addr', conn) -- legacy record, see conn_addr
  redis.call('HDEL', base .. 'det', conn)
  if node then redis.call('SREM', base .. 'n:' .. node, conn) end
  if user ~= '' then redis.call('SREM', base .. 'u:' .. user, conn) end
end

-- not_ready returns why the hub cannot take a message now, or nil: every
-- gateway node that should receive it must be subscribed (see ready.go).
-- KEYS[2], when given (one Redis server; not on a Cluster), is the
-- deployment's epoch: missing when no gateway recorded a heartbeat lately
-- (Redis restarted empty, was paused past it, or no gateway runs), a
-- ready-at time in the future while the gateways re-register. Then the
-- hub's live zset (node → expiry) must not name more live nodes than
-- there are subscribers of its channel.
local function not_ready(base)
  local now = now_ms()
  if KEYS[2] then
    local e = redis.call('GET', KEYS[2])
    if not e then
      return 'NOTREADY no gateway node recorded a heartbeat lately (Redis restarted or paused, or no gateway runs)'
    end
    if tonumber(e) > now then
      return 'NOTREADY gateway nodes are registering again after Redis lost or froze their state (' .. (tonumber(e) - now) .. ' ms left)'
    end
  end
  local want = redis.call('ZCOUNT', base .. 'live', '(' .. now, '+inf')
  if want == 0 then return nil end
  local have = redis.call('PUBSUB', 'SHARDNUMSUB', KEYS[1])[2]
  if have < want then
    return 'NOTREADY ' .. (want - have) .. ' of ' .. want .. ' gateway nodes serving the hub are not subscribed (reconnecting)'
  end
  return nil
end

-- serve records that node serves the hub (is subscribed to its channel)
-- until ttl ms from now; expired entries go.
local function serve(base, node, ttl)
  local live, now = base .. 'live', now_ms()
  redis.call('ZREMRANGEBYSCORE', live, '-inf', now)
  redis.call('ZADD', live, now + ttl, node)
  redis.call('PEXPIRE', live, ttl)
end

-- unserve forgets node as serving the hub, and its address, once it
-- holds no connection there.
local function unserve(base, node)
  if redis.call('SCARD', base .. 'n:' .. node) == 0 then
    redis.call('ZREM', base .. 'live', node)
    redis.call('HDEL', base .. 'nodeaddr', node)
  end
end

-- set_addr records addr as the internal address of node (bus.Conn.Addr:
-- one per node, not per connection), which every script adding conn to
-- the node's set calls, so the address lives exactly as long as the node
-- holds a connection in the hub (unserve drops it). An empty addr leaves
-- the record as it is.
--
-- While a node of the version that kept an address per connection (see
-- conn_addr) is alive anywhere in the deployment (legacy is '1': the
-- heartbeat found one, see beat.lua), conn's address is recorded that way
-- too, where such a node looks for it to forward a request or a client
-- result: in the middle of a rolling deploy from that version. It costs
-- memory only while that lasts.
local function set_addr(base, node, conn, addr, legacy)
  if addr == '' then return end
  redis.call('HSET', base .. 'nodeaddr', node, addr)
  if legacy == '1' then redis.call('HSET', base .. 'addr', conn, addr) end
end

-- conn_addr returns the address of the node holding conn ('' for none).
-- A connection recorded by a version that kept an address per connection
-- (the addr hash, conn → address) still has it there. That hash is read
-- and cleaned up; takeover updates an entry it finds there, so that the
-- node of that version finds the node that took the connection over.
local function conn_addr(base, conn, node)
  local a = node and redis.call('HGET', base .. 'nodeaddr', node)
  return a or redis.call('HGET', base .. 'addr', conn) or ''
end
