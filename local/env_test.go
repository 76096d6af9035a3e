package main

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/testsupport"
)

// The emulator takes variables as the gateway does (HERALD_LOG_FORMAT;
// --addr over HERALD_ADDR), keeps its other development defaults (the
// well-known key), warns of a mistyped variable, and introduces itself as
// the emulator.
func TestEmulatorTakesVariables(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	environ := []string{"HERALD_ADDR=127.0.0.1:1", "HERALD_LOG_FORMAT=json", "HERALD_MAX_HUBZ=2"}
	stdout, stderr := &testsupport.Buffer{}, &testsupport.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runWith(ctx, []string{"--addr", addr}, environ, stdout, stderr) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	body := testsupport.GetBody(t, "http://"+addr+"/", 10*time.Second, "the emulator (--addr over HERALD_ADDR)", stderr)
	if !strings.HasPrefix(body, "Herald local emulator (role all)") || !strings.Contains(body, "AccessKey=ABCDEFGH") {
		t.Errorf("GET /: %q", body)
	}
	if l := stderr.String(); !strings.Contains(l, `"level":"WARN"`) || !strings.Contains(l, "HERALD_MAX_HUBZ") || !strings.Contains(l, "HERALD_MAX_HUBS") {
		t.Errorf("want a JSON warning (HERALD_LOG_FORMAT) naming HERALD_MAX_HUBZ and HERALD_MAX_HUBS:\n%s", l)
	}
}
