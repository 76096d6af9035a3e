package upstream_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/shared/upstream"
)

func TestRequests(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if r.Header.Get(upstream.HeaderEvent) == "echo" {
			w.Write(completionFrame("1", "hi"))
		}
	})
	c := newClient(t, upstream.Config{
		Settings:   settingsFor(rec.URL, "/runtime/webhooks/signalr?code=k&e={event}"),
		AccessKeys: []string{keyPrimary, keySecondary},
	})
	s := c.Session(upstream.Connection{
		Hub: "chat", ConnectionID: "conn-1", UserID: "alice",
		Claims: map[string]any{"sub": "alice", "aud": "x", "asrs.s.uid": "alice", "role": "admin"},
		Query:  upstream.ClientQuery("hub=chat&id=tok&access_token=jwt&lang=en"),
	})
	out := make(replies, 4)
	if err := s.Connected(); err != nil {
		t.Fatal(err)
	}
	if err := s.Invoke(invocation("1", "echo", "hi"), out.reply); err != nil {
		t.Fatal(err)
	}
	if err := s.Invoke(invocation("", "broadcast", "all"), out.reply); err != nil {
		t.Fatal(err)
	}
	if err := s.Disconnected("Connection closed with an error."); err != nil {
		t.Fatal(err)
	}

	want := []struct {
		category, event, contentType, body string
	}{
		{"connections", "connected", "application/json", `{"type":10}`},
		{"messages", "echo", "application/json", `{"type":1,"invocationId":"1","target":"echo","arguments":["hi"]}`},
		{"messages", "broadcast", "application/json", `{"type":1,"target":"broadcast","arguments":["all"]}`},
		{"connections", "disconnected", "application/json", `{"Type":11,"Error":"Connection closed with an error."}`},
	}
	for _, w := range want {
		r := rec.next(t)
		h := r.header
		check := func(name, got, want string) {
			t.Helper()
			if got != want {
				t.Errorf("%s %s = %q, want %q", w.event, name, got, want)
			}
		}
		check("path", r.path, "/runtime/webhooks/signalr?code=k&e="+w.event)
		check("connection id", h.Get("X-ASRS-Connection-Id"), "conn-1")
		check("hub", h.Get("X-ASRS-Hub"), "chat")
		check("category", h.Get("X-ASRS-Category"), w.category)
		check("event", h.Get("X-ASRS-Event"), w.event)
		check("user id", h.Get("X-ASRS-User-Id"), "alice")
		check("claims", h.Get("X-ASRS-User-Claims"), "role: admin, sub: alice")
		check("query", h.Get("X-ASRS-Client-Query"), "?hub=chat&lang=en")
		check("signature", h.Get("X-ASRS-Signature"), sigPrimary+","+sigSecondary)
		check("content type", h.Get("Content-Type"), w.contentType)
		check("body", string(r.body), w.body)
	}
	m := out.completion(t)
	if m.InvocationID != "1" || string(m.Result) != `"hi"` {
		t.Errorf("completion %+v", m)
	}
	select {
	case f := <-out:
		t.Errorf("unexpected reply %q", f)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestRequestsAnonymous(t *testing.T) {
	rec := newRecorder(t, nil)
	c := newClient(t, upstream.Config{Settings: settingsFor(rec.URL, "/{hub}/{category}/{event}")})
	s := c.Session(upstream.Connection{Hub: "chat", ConnectionID: "c2"})
	if err := s.Disconnected(""); err != nil {
		t.Fatal(err)
	}
	r := rec.next(t)
	if r.path != "/chat/connections/disconnected" || string(r.body) != `{"Type":11}` {
		t.Errorf("path %q body %q", r.path, r.body)
	}
	for _, name := range []string{"X-ASRS-User-Id", "X-ASRS-User-Claims", "X-ASRS-Client-Query", "X-ASRS-Signature"} {
		if v, ok := r.header[name]; ok {
			t.Errorf("%s sent: %q", name, v)
		}
	}
	if err := s.Connected(); !errors.Is(err, upstream.ErrSessionEnded) {
		t.Errorf("Connected after Disconnected: %v", err)
	}
}

func TestInvocationResults(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		switch r.Header.Get(upstream.HeaderEvent) {
		case "ok":
			w.Write(completionFrame("1", map[string]int{"n": 1}))
		case "empty":
		case "nocontent":
			w.WriteHeader(http.StatusNoContent)
		case "fail":
			w.WriteHeader(http.StatusInternalServerError)
		case "unauthorized":
			w.WriteHeader(http.StatusUnauthorized)
		case "big":
			w.Write([]byte(strings.Repeat("x", 2000)))
		case "chunkedbig":
			for range 4 {
				w.Write([]byte(strings.Repeat("x", 400)))
				w.(http.Flusher).Flush()
			}
		case "unframed":
			w.Write([]byte(`{"type":3,"invocationId":"1"}`))
		}
	})
	c := newClient(t, upstream.Config{Settings: settingsFor(rec.URL, "/"), MaxResponseBytes: 1024})
	tests := []struct {
		event, result, errText string
	}{
		{"ok", `{"n":1}`, ""},
		{"empty", "", ""},
		{"nocontent", "", ""},
		{"fail", "", "Invocation failed, status code 500"},
		{"unauthorized", "", "Invocation failed, status code 401"},
		{"big", "", "Invocation failed, response too large."},
		{"chunkedbig", "", "Invocation failed, response too large."},
		{"unframed", "", upstream.ErrTextInvalidResponse},
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			out := make(replies, 1)
			s := c.Session(upstream.Connection{Hub: "h", ConnectionID: "c-" + tt.event})
			if err := s.Invoke(invocation("1", tt.event, nil), out.reply); err != nil {
				t.Fatal(err)
			}
			m := out.completion(t)
			if m.InvocationID != "1" || string(m.Result) != tt.result || m.Error != tt.errText || m.HasResult != (tt.result != "") {
				t.Errorf("completion %+v", m)
			}
		})
	}
}

func TestNoMatchAnswersAtOnce(t *testing.T) {
	c := newClient(t, upstream.Config{Settings: upstream.Static(upstream.Settings{Templates: []upstream.Template{
		{URLTemplate: "http://127.0.0.1:1/", CategoryPattern: "connections", EventPattern: "disconnected"},
	}})})
	s := c.Session(upstream.Connection{Hub: "h", ConnectionID: "c"})
	if err := s.Connected(); !errors.Is(err, upstream.ErrNoMatch) {
		t.Errorf("Connected: %v", err)
	}
	var got []byte
	err := s.Invoke(invocation("9", "echo", 1), func(f []byte) { got = f })
	if !errors.Is(err, upstream.ErrNoMatch) {
		t.Errorf("Invoke: %v", err)
	}
	want := hubproto.AppendJSONCompletion(nil, "9", upstream.ErrTextNoMatch, nil)
	if string(got) != string(want) {
		t.Errorf("reply %q, want %q (synchronous)", got, want)
	}
	if err := s.Invoke(invocation("", "echo", 1), nil); !errors.Is(err, upstream.ErrNoMatch) {
		t.Errorf("non-blocking Invoke: %v", err)
	}
}

func TestNoSettings(t *testing.T) {
	c := newClient(t, upstream.Config{})
	s := c.Session(upstream.Connection{Hub: "h", ConnectionID: "c"})
	out := make(replies, 1)
	if err := s.Invoke(invocation("1", "echo", 1), out.reply); !errors.Is(err, upstream.ErrNoMatch) {
		t.Errorf("Invoke: %v", err)
	}
	if m := out.completion(t); m.Error != upstream.ErrTextNoMatch {
		t.Errorf("completion %+v", m)
	}
}

func TestInvokeRejectsOtherMessages(t *testing.T) {
	c := newClient(t, upstream.Config{Settings: settingsFor("http://127.0.0.1:1", "/")})
	s := c.Session(upstream.Connection{Hub: "h", ConnectionID: "c"})
	called := false
	err := s.Invoke(hubproto.Message{Type: hubproto.TypeCompletion, InvocationID: "1"}, func([]byte) { called = true })
	if err == nil || called {
		t.Errorf("err %v, reply called %v", err, called)
	}
}
