-- bump: KEYS[1] expiry index zset, KEYS[2] version hash; ARGV hub, expiry ms.
-- Notes that the hub has a membership expiring then: bumps the hub's
-- version, so that a sweep that read the hub before cannot reschedule it
-- past this expiry, and keeps the earliest expiry in the index.
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('ZADD', KEYS[1], 'LT', ARGV[2], ARGV[1])
return 1
