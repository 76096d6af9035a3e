package redistest

import (
	"fmt"
	"os"

	"github.com/heraldrt/herald/shared/testsupport"
)

// TestingM is what TestMain hands to goleak.VerifyTestMain: *testing.M
// satisfies it.
type TestingM interface {
	Run() int
}

// WithServer wraps m so that, when REDIS_URL is unset, Run starts one
// throwaway redis-server for the whole test binary, points REDIS_URL at it
// while m runs (so Addr and Example functions find it) and stops it
// afterwards. Use it in TestMain:
//
//	func TestMain(m *testing.M) { goleak.VerifyTestMain(redistest.WithServer(m)) }
//
// A missing redis-server makes Run print the install hint and fail.
// Under -short it starts nothing: the tests that need Redis skip (see
// SkipShort).
func WithServer(m TestingM) TestingM { return withServer{m} }

type withServer struct{ m TestingM }

func (w withServer) Run() int {
	if os.Getenv(EnvURL) != "" || testsupport.Short() {
		return w.m.Run()
	}
	dir, err := os.MkdirTemp("", "redistest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "redistest:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	s, err := start(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Stop()
	if err := os.Setenv(EnvURL, s.URL()); err != nil {
		fmt.Fprintln(os.Stderr, "redistest:", err)
		return 1
	}
	defer os.Unsetenv(EnvURL)
	return w.m.Run()
}
