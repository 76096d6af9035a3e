package jsclient_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/heraldrt/herald/tests/internal/jsclient"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRepoRoot(t *testing.T) {
	root, err := jsclient.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "tests", "js", "driver.mjs")); err != nil {
		t.Fatalf("RepoRoot() = %s, which has no tests/js/driver.mjs: %v", root, err)
	}
}

func TestStartAndClose(t *testing.T) {
	d := jsclient.Start(t)
	if err := d.Close(); err != nil {
		t.Fatalf("Close() = %v, want a clean exit", err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close() = %v, want the same nil", err)
	}
	events := d.Events()
	if len(events) == 0 || events[0].Kind != jsclient.KindReady {
		t.Fatalf("first event = %v, want ready", events)
	}
	if !strings.Contains(events[0].Raw, `"signalrVersion":"10.0.11"`) {
		t.Errorf("ready event %s does not report @microsoft/signalr 10.0.11", events[0].Raw)
	}
}

func TestCommandErrors(t *testing.T) {
	d := jsclient.Start(t)

	if err := d.Invoke("nobody", "r1", "echo", 1, "two"); err != nil {
		t.Fatal(err)
	}
	e := d.ExpectFunc(t, 5*time.Second, "reply to r1", jsclient.IsReply("nobody", "r1"))
	if e.Kind != jsclient.KindError || e.Op != "invoke" || !strings.Contains(e.Message, "unknown connection") {
		t.Errorf("reply = %s, want an invoke error about an unknown connection", e.Raw)
	}

	if err := d.Connect(jsclient.ConnectOptions{Name: "c1", URL: "http://127.0.0.1:1/api", Transport: "Pigeon"}); err != nil {
		t.Fatal(err)
	}
	e = d.Expect(t, "c1", jsclient.KindError, 5*time.Second)
	if e.Op != "connect" || !strings.Contains(e.Message, "unknown transport") {
		t.Errorf("error = %s, want a connect error about the transport", e.Raw)
	}

	if err := d.Connect(jsclient.ConnectOptions{}); err == nil {
		t.Error("Connect with no name and URL succeeded, want an error")
	}
}

func TestConnectRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	d := jsclient.Start(t)
	err = d.Connect(jsclient.ConnectOptions{
		Name:      "c1",
		URL:       "http://" + addr + "/api?hub=chat",
		Transport: jsclient.WebSockets,
		Methods:   []string{"recv"},
	})
	if err != nil {
		t.Fatal(err)
	}
	e := d.Expect(t, "c1", jsclient.KindError, 10*time.Second)
	if e.Op != "connect" || !strings.Contains(e.Message, "negotiat") {
		t.Errorf("error = %s, want a failed negotiation", e.Raw)
	}
	// The client logged the failure at Error level; the driver forwards it.
	d.ExpectFunc(t, 5*time.Second, "an Error log on c1", func(e jsclient.Event) bool {
		return e.Name == "c1" && e.Kind == jsclient.KindLog && e.Level == "Error"
	})
	if got := d.Pending(jsclient.Is("c1", jsclient.KindConnected)); len(got) != 0 {
		t.Errorf("unexpected connected events: %v", got)
	}
}
