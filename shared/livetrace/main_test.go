package livetrace_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/heraldrt/herald/shared/redistest"
)

// TestMain runs against REDIS_URL or a throwaway redis-server (the relay
// tests).
func TestMain(m *testing.M) { goleak.VerifyTestMain(redistest.WithServer(m)) }
