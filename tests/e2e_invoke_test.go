package tests

import (
	"context"
	"net/http"
	"testing"

	"github.com/heraldrt/herald/tests/internal/jsclient"
)

// With no upstream configured, a client invocation is rejected at once (the client must
// not hang until its server timeout), a non-blocking send is ignored, and the connection
// stays up either way.
func TestInvokeWithoutUpstream(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	id := e.connect(t, "c1", "alice")

	if err := e.js.Invoke("c1", "r1", "echo", "hi", 1); err != nil {
		t.Fatal(err)
	}
	reply := e.js.ExpectFunc(t, wait, "reply to invoke r1", jsclient.IsReply("c1", "r1"))
	if reply.Kind != jsclient.KindError {
		t.Fatalf("invoke r1 resolved with %s, want a rejection", reply.Raw)
	}
	t.Logf("invoke rejected with: %s", reply.Message)

	if err := e.js.Send("c1", "s1", "echo", "fire and forget"); err != nil {
		t.Fatal(err)
	}
	if sent := e.js.ExpectFunc(t, wait, "reply to send s1", jsclient.IsReply("c1", "s1")); sent.Kind != jsclient.KindSent {
		t.Fatalf("send s1: %s, want sent", sent.Raw)
	}

	// Still connected: another invoke is answered, and server messages arrive.
	if err := e.js.Invoke("c1", "r2", "echo"); err != nil {
		t.Fatal(err)
	}
	if reply := e.js.ExpectFunc(t, wait, "reply to invoke r2", jsclient.IsReply("c1", "r2")); reply.Kind != jsclient.KindError {
		t.Fatalf("invoke r2 resolved with %s, want a rejection", reply.Raw)
	}
	status(t, "HEAD c1", http.StatusOK)(e.rest.ConnectionExists(ctx, hub, id))
	e.settle(t, "c1")
	if got := e.js.Pending(func(ev jsclient.Event) bool {
		return ev.Name == "c1" && (ev.Kind == jsclient.KindClosed || ev.Kind == jsclient.KindError)
	}); len(got) > 0 {
		t.Errorf("c1 was closed or failed: %v", got)
	}
}
