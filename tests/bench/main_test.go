package bench

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no benchmark leaves a goroutine behind, after the
// emulator binary built for the run has been removed.
func TestMain(m *testing.M) { goleak.VerifyTestMain(run{m}) }

// run removes the build directory after the tests and benchmarks, before
// goleak looks for leftover goroutines.
type run struct{ m *testing.M }

func (r run) Run() int {
	defer func() {
		if buildDir != "" {
			_ = os.RemoveAll(buildDir)
		}
	}()
	code := r.m.Run()
	if err := summarize(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench: summary:", err)
		return 1
	}
	return code
}

var (
	buildDir string
	// emulatorBinary builds ./local once per run, on first use, so a plain
	// `go test` (no -bench) builds nothing.
	emulatorBinary = sync.OnceValues(func() (string, error) {
		dir, err := os.MkdirTemp("", "herald-bench-")
		if err != nil {
			return "", err
		}
		buildDir = dir
		return Build(dir)
	})
)
