package lambdafn_test

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/heraldrt/herald/shared/redistest"
)

// TestMain runs against REDIS_URL or one throwaway redis-server; go-redis's
// global logger is silenced.
func TestMain(m *testing.M) {
	redis.SetLogger(quiet{})
	goleak.VerifyTestMain(redistest.WithServer(m))
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}
