-- lastout: KEYS[1] nodes zset, KEYS[2] epoch. The last live node leaving
-- takes the epoch with it: with no gateway there is nobody to deliver to,
-- and an idle deployment leaves no key.
if redis.call('ZCOUNT', KEYS[1], '(' .. now_ms(), '+inf') == 0 then
  redis.call('DEL', KEYS[2])
end
return 1
