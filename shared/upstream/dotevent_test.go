package upstream_test

import (
	"errors"
	"testing"

	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/shared/upstream"
)

// A {event} that is "." or ".." must not reach the upstream as a dot
// segment: Match percent-encodes its dots.
func TestMatchEscapesDotSegments(t *testing.T) {
	s := upstream.Settings{Templates: []upstream.Template{{URLTemplate: "http://up/api/{hub}/{event}/x"}}}
	for event, want := range map[string]string{
		".":    "http://up/api/chat/%2E/x",
		"..":   "http://up/api/chat/%2E%2E/x",
		"...":  "http://up/api/chat/.../x",
		"a..b": "http://up/api/chat/a..b/x",
	} {
		got, err := s.Match("chat", upstream.CategoryMessages, event)
		if err != nil || got != want {
			t.Errorf("Match(%q) = %q, %v; want %q", event, got, err, want)
		}
	}
}

// Invoke refuses a target that is a dot segment or not valid UTF-8: the
// client gets an error completion and the upstream no request.
func TestInvokeRefusesInvalidTargets(t *testing.T) {
	rec := newRecorder(t, nil)
	c := newClient(t, upstream.Config{Settings: upstream.Static(upstream.Settings{Templates: []upstream.Template{
		{URLTemplate: rec.URL + "/api/{event}"}}})})
	s := c.Session(upstream.Connection{Hub: "h", ConnectionID: "a", Codec: hubproto.JSON})
	for _, target := range []string{".", "..", "a\xffb"} {
		out := make(replies, 1)
		err := s.Invoke(invocation("1", target, 1), out.reply)
		if !errors.Is(err, upstream.ErrInvalidTarget) {
			t.Errorf("Invoke(%q) = %v, want ErrInvalidTarget", target, err)
		}
		if m := out.completion(t); m.Error != upstream.ErrTextInvalidTarget {
			t.Errorf("Invoke(%q) completion error %q", target, m.Error)
		}
	}
	// A valid invocation afterwards is the first request the upstream sees.
	if err := s.Invoke(invocation("", "ok", 1), nil); err != nil {
		t.Fatal(err)
	}
	if r := rec.next(t); r.path != "/api/ok" {
		t.Errorf("first upstream request %q, want /api/ok", r.path)
	}
}
