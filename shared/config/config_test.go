package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/heraldrt/herald/shared/diag"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func env(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func TestGatewayDefaults(t *testing.T) {
	g, err := GatewayFromEnv(env(map[string]string{"HERALD_ACCESS_KEYS": "k1, k2"}))
	if err != nil {
		t.Fatal(err)
	}
	if g.Addr != ":8080" || g.RedisURL != "redis://127.0.0.1:6379/0" || g.ShutdownTimeout != 25*time.Second ||
		len(g.AccessKeys) != 2 || g.AccessKeys[1] != "k2" || g.MaxMessageBytes != 1<<20 || g.LogFormat != "json" {
		t.Fatalf("defaults: %+v", g)
	}
}

func TestGatewayConnectionString(t *testing.T) {
	g, err := GatewayFromEnv(env(map[string]string{
		"HERALD_CONNECTION_STRING": "Endpoint=https://x.example;AccessKey=secret-key;Version=1.0;",
	}))
	if err != nil || len(g.AccessKeys) != 1 || g.AccessKeys[0] != "secret-key" {
		t.Fatalf("%+v %v", g, err)
	}
}

func TestGatewayErrors(t *testing.T) {
	cases := []struct {
		env  map[string]string
		name string
	}{
		{map[string]string{}, "HERALD_ACCESS_KEYS"},
		{map[string]string{"HERALD_CONNECTION_STRING": "nonsense"}, "HERALD_CONNECTION_STRING"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_SHUTDOWN_TIMEOUT": "soon"}, "HERALD_SHUTDOWN_TIMEOUT"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_MAX_MESSAGE_BYTES": "-1"}, "HERALD_MAX_MESSAGE_BYTES"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_PUBLIC_URL": "ftp://x"}, "HERALD_PUBLIC_URL"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_INTERNAL_URL": "10.0.0.7:8080"}, "HERALD_INTERNAL_URL"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "REDIS_URL": "rediss://:secret%zz@redis.internal:6379/0"}, "REDIS_URL"},
	}
	for _, tc := range cases {
		_, err := GatewayFromEnv(env(tc.env))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("%v: err %v, want one naming %s", tc.env, err, tc.name)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("error leaks a value: %v", err)
		}
	}
}

func TestLogger(t *testing.T) {
	var b strings.Builder
	l, err := Logger(&b, "warn", "text")
	if err != nil {
		t.Fatal(err)
	}
	l.Info("hidden")
	l.Warn("shown")
	if strings.Contains(b.String(), "hidden") || !strings.Contains(b.String(), "shown") {
		t.Fatalf("log output %q", b.String())
	}
	if _, err := Logger(&b, "loud", "json"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad level: %v", err)
	}
}

func TestDiagnosticsFromEnv(t *testing.T) {
	d, err := DiagnosticsFromEnv(env(map[string]string{}))
	if err != nil || d.LogConnectivity || d.LogHTTP || d.LogMessaging != diag.MessagingOff || d.AdminAddr != "" || d.MaxDiagnosticConnections != 100 {
		t.Fatalf("defaults: %+v %v", d, err)
	}
	d, err = DiagnosticsFromEnv(env(map[string]string{
		"HERALD_LOG_CONNECTIVITY": "true", "HERALD_LOG_HTTP": "1", "HERALD_LOG_MESSAGING": "diagnostic",
		"HERALD_ADMIN_ADDR": "127.0.0.1:6060", "HERALD_MAX_DIAGNOSTIC_CONNECTIONS": "5",
	}))
	if err != nil || !d.LogConnectivity || !d.LogHTTP || d.LogMessaging != diag.MessagingDiagnostic || d.AdminAddr != "127.0.0.1:6060" || d.MaxDiagnosticConnections != 5 {
		t.Fatalf("set: %+v %v", d, err)
	}
	for k, v := range map[string]string{"HERALD_LOG_CONNECTIVITY": "maybe", "HERALD_LOG_MESSAGING": "some", "HERALD_MAX_DIAGNOSTIC_CONNECTIONS": "-1"} {
		_, err := DiagnosticsFromEnv(env(map[string]string{k: v}))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
}

func TestHTTPDefaultsAndErrors(t *testing.T) {
	h, err := HTTPFromEnv(env(map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	if h.ReadHeaderTimeout != 10*time.Second || h.ReadTimeout != 30*time.Second || h.WriteTimeout != 30*time.Second ||
		h.IdleTimeout != 130*time.Second || h.MaxHeaderBytes != 16<<10 {
		t.Fatalf("defaults: %+v", h)
	}
	h, err = HTTPFromEnv(env(map[string]string{"HERALD_HTTP_IDLE_TIMEOUT": "2s", "HERALD_HTTP_MAX_HEADER_BYTES": "8192"}))
	if err != nil || h.IdleTimeout != 2*time.Second || h.MaxHeaderBytes != 8192 {
		t.Fatalf("%+v %v", h, err)
	}
	for _, name := range []string{"HERALD_HTTP_READ_HEADER_TIMEOUT", "HERALD_HTTP_READ_TIMEOUT", "HERALD_HTTP_WRITE_TIMEOUT", "HERALD_HTTP_IDLE_TIMEOUT", "HERALD_HTTP_MAX_HEADER_BYTES"} {
		_, err := HTTPFromEnv(env(map[string]string{name: "-1"}))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=-1: err %v", name, err)
		}
	}
}
