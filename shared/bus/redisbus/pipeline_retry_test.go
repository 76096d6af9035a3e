package redisbus

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/heraldrt/herald/shared/redistest"
)

// TestBatcherNoResendAfterTryAgain: the ClusterClient sends a node's
// whole share of a pipeline again when a command gets a retryable reply
// (TRYAGAIN, as while a slot migrates), though the commands after it ran;
// a batched pipeline is not sent again, so the second script runs once
// (and its caller is told it may have run).
func TestBatcherNoResendAfterTryAgain(t *testing.T) {
	url := redistest.ClusterAddr(t)
	rdb, err := NewClient(url)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	cc := rdb.(*redis.ClusterClient)
	ctx := context.Background()
	flag, key := "{retry}:flag", "{retry}:n"
	cc.Del(ctx, flag, key)
	pipe := cc.Pipeline()
	c1 := redis.NewCmd(ctx, "eval", "if redis.call('INCR', KEYS[1]) == 1 then return redis.error_reply('TRYAGAIN fake') end return 1", 1, flag)
	c2 := redis.NewCmd(ctx, "eval", "return redis.call('INCR', KEYS[1])", 1, key)
	_ = pipe.Process(ctx, c1)
	_ = pipe.Process(ctx, c2)
	pctx := context.WithValue(ctx, sendOnceKey{}, newPipeAttempts([]*pipeCall{{cmd: c1}, {cmd: c2}}))
	_, _ = pipe.Exec(pctx)
	n, _ := cc.Get(ctx, key).Int()
	if n != 1 {
		t.Errorf("the second script ran %d times, want 1", n)
	}
	if !mayHaveRun(c2.Err()) {
		t.Errorf("the second command's error = %v, want one saying it may have run", c2.Err())
	}
}
