package testsupport

import (
	"flag"
	"testing"
)

// SkipServer skips t under -short (make test-unit, which starts no
// server) with a message naming the server it needs (e.g.
// "redis-server"); without -short it does nothing and the test starts the
// server or fails with an install hint.
func SkipServer(t testing.TB, server string) {
	t.Helper()
	if Short() {
		t.Skipf("needs %s: skipped under -short (make test-unit starts no server); make test runs it", server)
	}
}

// Short is testing.Short, usable from TestMain before m.Run has parsed
// the flags: it parses them first when nobody has.
func Short() bool {
	if !flag.Parsed() {
		flag.Parse()
	}
	return testing.Short()
}

// SkipSlow skips t under -short: a test that takes seconds even on an idle
// machine (a Redis Cluster failover, thousands of connections, a
// byte-by-byte stream) runs in make test, not in make test-unit.
func SkipSlow(t testing.TB) {
	t.Helper()
	if Short() {
		t.Skip("slow: skipped under -short (make test-unit); make test runs it")
	}
}
