package main

import (
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/heraldrt/herald/shared/redistest"
	"github.com/heraldrt/herald/shared/testsupport"
)

func TestMain(m *testing.M) {
	redis.SetLogger(quiet{})
	goleak.VerifyTestMain(redistest.WithServer(m))
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// freeAddr returns a loopback address nobody listens on (yet).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// The gateway takes variables and flags (a flag over its variable), says
// on GET / that it is a gateway node at HERALD_PUBLIC_URL, and logs a
// warning naming the closest setting for a mistyped HERALD_* variable.
func TestGatewayFlagsEnvironmentAndHome(t *testing.T) {
	addr := freeAddr(t)
	environ := []string{
		"REDIS_URL=" + redistest.Addr(t), "HERALD_REDIS_PREFIX=" + redistest.KeyPrefix(t),
		"HERALD_ACCESS_KEYS=gateway-test-key-0123456789", "HERALD_ADDR=127.0.0.1:1",
		"HERALD_PUBLIC_URL=https://signalr.example.com/", "HERALD_MAX_USER_CONECTIONS=3",
	}
	logs := &testsupport.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"--addr", addr, "--log-format", "text"}, environ, logs) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	body := testsupport.GetBody(t, "http://"+addr+"/", 10*time.Second, "the gateway (the flag over HERALD_ADDR)", logs)
	if !strings.HasPrefix(body, "Herald gateway node") || !strings.Contains(body, "https://signalr.example.com/client/?hub=<hub>") ||
		strings.Contains(body, "emulator") || strings.Contains(body, "gateway-test-key") {
		t.Errorf("GET /: %q", body)
	}
	if l := logs.String(); !strings.Contains(l, "HERALD_MAX_USER_CONECTIONS") || !strings.Contains(l, "closest: HERALD_MAX_USER_CONNECTIONS") {
		t.Errorf("no warning naming the mistyped variable and the closest one:\n%s", l)
	}
}

// A bad setting stops the gateway before it listens, naming the variable
// and the flag.
func TestGatewayRefusesBadSettings(t *testing.T) {
	err := run(context.Background(), []string{"--max-hubs", "many"}, []string{"HERALD_ACCESS_KEYS=k"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-max-hubs") {
		t.Errorf("bad flag: %v", err)
	}
	err = run(context.Background(), nil, []string{"HERALD_ACCESS_KEYS=k", "HERALD_SHUTDOWN_TIMEOUT=soon"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "HERALD_SHUTDOWN_TIMEOUT") {
		t.Errorf("bad variable: %v", err)
	}
	if err := run(context.Background(), []string{"serve"}, []string{"HERALD_ACCESS_KEYS=k"}, io.Discard); err == nil {
		t.Error("a positional argument is accepted")
	}
}
