package httpapi_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/httpapi"
)

// downBus is an httpapi.Bus whose every call fails with err.
type downBus struct{ err error }

var (
	_ httpapi.Bus     = downBus{}
	_ bus.GroupLister = downBus{}
)

func (b downBus) Publish(context.Context, *bus.Envelope) error                  { return b.err }
func (b downBus) AddToGroup(context.Context, string, string, string) error      { return b.err }
func (b downBus) RemoveFromGroup(context.Context, string, string, string) error { return b.err }
func (b downBus) RemoveFromAllGroups(context.Context, string, string) error     { return b.err }
func (b downBus) AddUserToGroup(context.Context, string, string, string, time.Duration) error {
	return b.err
}
func (b downBus) RemoveUserFromGroup(context.Context, string, string, string) error { return b.err }
func (b downBus) RemoveUserFromAllGroups(context.Context, string, string) error     { return b.err }
func (b downBus) ConnectionExists(context.Context, string, string) (bool, error)    { return false, b.err }
func (b downBus) UserExists(context.Context, string, string) (bool, error)          { return false, b.err }
func (b downBus) GroupExists(context.Context, string, string) (bool, error)         { return false, b.err }
func (b downBus) UserInGroup(context.Context, string, string, string) (bool, error) {
	return false, b.err
}
func (b downBus) Ping(context.Context) error { return b.err }
func (b downBus) Locate(context.Context, string, string) (string, error) {
	return "", b.err
}
func (b downBus) GroupConnections(context.Context, string, string, int, string) ([]bus.Member, string, error) {
	return nil, "", b.err
}

// No route that touches the bus answers 2xx when the bus fails.
func TestBusUnavailable(t *testing.T) {
	for _, sentinel := range []error{bus.ErrUnavailable, bus.ErrClosed} {
		t.Run(sentinel.Error(), func(t *testing.T) {
			h, err := httpapi.NewREST(httpapi.RESTConfig{
				Bus:      downBus{err: fmt.Errorf("redis: dial tcp: %w", sentinel)},
				Verifier: newVerifier(t, testKey),
				Issuer:   newIssuer(t, testKey, nil),
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, rt := range httpapi.Routes() {
				if rt.Name == "generateToken" {
					continue // does not use the bus
				}
				target := concrete(rt.Pattern)
				body := ""
				if strings.HasPrefix(rt.Name, "send") || rt.Name == "invokeConnection" {
					body = `{"target":"m"}`
				}
				w := serve(h, rt.Method, target, body, bearerHdr(sdkToken(t, target))...)
				if w.Code != http.StatusServiceUnavailable {
					t.Errorf("%s %s: status %d, want 503", rt.Method, rt.Pattern, w.Code)
					continue
				}
				if got := w.Header().Get("x-ms-error-code"); got != "Error.Service.Unavailable" {
					t.Errorf("%s %s: x-ms-error-code %q", rt.Method, rt.Pattern, got)
				}
				if rt.Method == "GET" {
					e := decodeError(t, w)
					if strings.Contains(e.Message, "redis") {
						t.Errorf("internal detail leaked: %q", e.Message)
					}
					// The health routes need no token: the bus's error
					// (addresses, host names) must not reach the body.
					if strings.Contains(w.Body.String(), "dial tcp") {
						t.Errorf("%s %s: internal detail leaked: %s", rt.Method, rt.Pattern, w.Body)
					}
				}
			}
		})
	}
}

// A closed real bus gives 503 too.
func TestClosedMemoryBus(t *testing.T) {
	f := newFixture(t)
	if err := f.bus.Close(); err != nil {
		t.Fatal(err)
	}
	wantError(t, f.do("POST", "/api/hubs/chat/:send", `{"target":"m"}`), 503, "Error.Service.Unavailable", "not applied")
	wantError(t, serve(f.h, "GET", "/api/health", ""), 503, "Error.Service.Unavailable", "Unhealthy")
}

func TestNewRESTConfig(t *testing.T) {
	v, i := newVerifier(t, testKey), newIssuer(t, testKey, nil)
	b := downBus{}
	for name, cfg := range map[string]httpapi.RESTConfig{
		"no bus":        {Verifier: v, Issuer: i},
		"no verifier":   {Bus: b, Issuer: i},
		"no issuer":     {Bus: b, Verifier: v},
		"negative body": {Bus: b, Verifier: v, Issuer: i, MaxBodyBytes: -1},
	} {
		if _, err := httpapi.NewREST(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// The bus's error left out of the health answer is in the log.
func TestHealthLogsBusError(t *testing.T) {
	var logs strings.Builder
	h, err := httpapi.NewREST(httpapi.RESTConfig{
		Bus:      downBus{err: fmt.Errorf("redis: dial tcp 10.0.0.9:6379: %w", bus.ErrUnavailable)},
		Verifier: newVerifier(t, testKey),
		Issuer:   newIssuer(t, testKey, nil),
		Logger:   slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	w := serve(h, "GET", "/api/health", "")
	if w.Code != http.StatusServiceUnavailable || strings.Contains(w.Body.String(), "10.0.0.9") {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if !strings.Contains(logs.String(), "dial tcp 10.0.0.9:6379") {
		t.Fatalf("log lacks the bus error: %s", logs.String())
	}
}
