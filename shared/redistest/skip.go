package redistest

import (
	"testing"

	"github.com/heraldrt/herald/shared/testsupport"
)

// SkipShort skips t under -short (make test-unit starts no server), saying
// that it needs Redis. Every helper here that hands a test a server
// (Addr, Start, ClusterAddr, StartCluster, StartReplicatedCluster) calls
// it first, REDIS_URL or not; a test that reaches Redis another way calls
// it itself.
func SkipShort(t testing.TB) {
	t.Helper()
	testsupport.SkipServer(t, "redis-server")
}
