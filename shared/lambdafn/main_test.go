package lambdafn_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/heraldrt/herald/shared/redistest"
	"github.com/heraldrt/herald/shared/testsupport"
)

// TestMain runs against REDIS_URL or one throwaway redis-server; go-redis's
// global logger is silenced.
func TestMain(m *testing.M) {
	testsupport.QuietRedis()
	goleak.VerifyTestMain(redistest.WithServer(m))
}
