package scale

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain runs a load driver when DriverEnv is set (the harness starts
// this binary again for each one), else the tests, checking with goleak
// that they joined every goroutine.
func TestMain(m *testing.M) {
	if cfg := os.Getenv(DriverEnv); cfg != "" {
		os.Exit(RunDriver([]byte(cfg), os.Stdin, os.Stdout))
	}
	goleak.VerifyTestMain(m)
}
