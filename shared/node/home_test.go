package node

import (
	"errors"
	"strings"
	"testing"
)

// A production node says what it is on GET / and points at the public
// URL; it never calls itself an emulator nor shows a connection string.
func TestProductionHome(t *testing.T) {
	s, err := New(Config{Addr: "127.0.0.1:0", AccessKeys: []string{"production-key-0123456789"}, ClientBase: "https://signalr.example.com/"})
	if err != nil {
		t.Fatal(err)
	}
	s, stop := serve(t, s)
	defer func() { _ = stop() }()
	code, body := get(t, s.URL()+"/")
	if code != 200 || !strings.HasPrefix(body, "Herald node") || !strings.Contains(body, "https://signalr.example.com/api/negotiate?hub=<hub>") {
		t.Fatalf("home: %d %q", code, body)
	}
	for _, never := range []string{"emulator", "Connection string", "production-key", s.URL()} {
		if strings.Contains(body, never) {
			t.Errorf("production home shows %q: %q", never, body)
		}
	}
}

// The emulator (Development) introduces itself with its role and the
// development connection string.
func TestEmulatorHome(t *testing.T) {
	s, stop := start(t, Config{Addr: "127.0.0.1:0"})
	defer func() { _ = stop() }()
	_, body := get(t, s.URL()+"/")
	if !strings.HasPrefix(body, "Herald local emulator (role all)") || !strings.Contains(body, s.ConnectionString()) {
		t.Fatalf("emulator home: %q", body)
	}
}

// A node needs its address and keys: the development defaults are
// Development's, never New's.
func TestNewNeedsAddrAndKeys(t *testing.T) {
	if _, err := New(Config{AccessKeys: []string{"k"}}); err == nil || !strings.Contains(err.Error(), "Addr") {
		t.Errorf("no Addr: %v", err)
	}
	if _, err := New(Config{Addr: "127.0.0.1:0"}); err == nil || !strings.Contains(err.Error(), "AccessKeys") {
		t.Errorf("no AccessKeys: %v", err)
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range Roles {
		if got, err := ParseRole(string(r)); err != nil || got != r {
			t.Errorf("ParseRole(%q) = %q, %v", r, got, err)
		}
	}
	var r Role
	if err := r.UnmarshalText([]byte("everything")); !errors.Is(err, ErrRole) {
		t.Errorf("unknown role: %v", err)
	}
	if _, err := New(Development(Config{Addr: "127.0.0.1:0", Role: "everything"})); !errors.Is(err, ErrRole) {
		t.Errorf("New with an unknown role: %v", err)
	}
}
