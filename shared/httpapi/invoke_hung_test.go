package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/httpapi"
)

// hungGateway registers connection c1 of hub chat on a gateway that takes
// internal calls and never answers them (until the caller goes away).
func hungGateway(t *testing.T, f *fixture) {
	t.Helper()
	release := make(chan struct{})
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(gw.Close)
	t.Cleanup(func() { close(release) }) // runs first
	if _, err := f.bus.Register(context.Background(), bus.Conn{Hub: "chat", ID: "c1", Addr: gw.URL}); err != nil {
		t.Fatal(err)
	}
}

// A hung gateway does not hold a REST call to its deadline (a Lambda
// function's, where the runtime stops the function without an answer):
// the call ends a margin before it with a 504 that says the operation may
// have reached the client, not a 503 "not applied" that SDKs retry.
func TestInternalCallEndsBeforeDeadline(t *testing.T) {
	f := newFixture(t)
	hungGateway(t, f)
	for _, tc := range []struct{ target, body, code string }{
		{"/api/hubs/chat/connections/c1/:invoke?api-version=2024-12-01", `{"target":"m","arguments":[]}`, "Error.Invocation.Timeout"},
		{"/api/hubs/chat/connections/c1/streams/s1/:send?api-version=2024-12-01", `1`, "Error.Service.Timeout"},
		{"/api/hubs/chat/connections/c1/streams/s1/:complete?api-version=2024-12-01", ``, "Error.Service.Timeout"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		req := httptest.NewRequest("POST", baseURL+tc.target, strings.NewReader(tc.body)).WithContext(ctx)
		req.Header.Set("Authorization", "Bearer "+sdkToken(t, tc.target))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, req)
		expired := ctx.Err() != nil
		cancel()
		if w.Code != http.StatusGatewayTimeout || w.Header().Get("x-ms-error-code") != tc.code || expired {
			t.Errorf("%s: %d %q (deadline passed: %v), want 504 %s before the deadline", tc.target, w.Code, w.Header().Get("x-ms-error-code"), expired, tc.code)
		}
	}
}

// Without a caller deadline, a stream call to a hung gateway ends after
// the stream call limit (the gateway only queues a frame), not after the
// two minutes an invocation may wait for its client.
func TestStreamCallLimit(t *testing.T) {
	defer httpapi.SetStreamCallLimit(500 * time.Millisecond)()
	f := newFixture(t)
	hungGateway(t, f)
	target := "/api/hubs/chat/connections/c1/streams/s1/:send?api-version=2024-12-01"
	done := make(chan *httptest.ResponseRecorder, 1)
	go func() { done <- f.do("POST", target, `1`, "Content-Type", "application/json") }()
	select {
	case w := <-done:
		if w.Code != http.StatusGatewayTimeout || w.Header().Get("x-ms-error-code") != "Error.Service.Timeout" {
			t.Fatalf("%d %q %s, want 504 Error.Service.Timeout", w.Code, w.Header().Get("x-ms-error-code"), w.Body)
		}
	case <-time.After(time.Minute):
		t.Fatal("the stream call is still waiting on the hung gateway after a minute")
	}
}
