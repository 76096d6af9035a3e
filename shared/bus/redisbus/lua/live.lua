-- live: KEYS[1] nodes zset. Returns how many nodes are alive.
return redis.call('ZCOUNT', KEYS[1], '(' .. now_ms(), '+inf')
