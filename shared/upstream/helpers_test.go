package upstream_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/shared/upstream"
)

// request is one request an upstream test server received.
type request struct {
	path   string
	header http.Header
	body   []byte
}

// recorder is an upstream test server that records requests and answers
// with answer.
type recorder struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []request
	got    chan request // every request, as it arrives
	answer func(w http.ResponseWriter, r *http.Request, body []byte)
}

func newRecorder(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, body []byte)) *recorder {
	t.Helper()
	rec := &recorder{got: make(chan request, 1024), answer: answer}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := request{path: r.URL.RequestURI(), header: r.Header.Clone(), body: body}
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, req)
		rec.mu.Unlock()
		rec.got <- req
		if rec.answer != nil {
			rec.answer(w, r, body)
		}
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (rec *recorder) next(t *testing.T) request {
	t.Helper()
	select {
	case r := <-rec.got:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no upstream request")
		return request{}
	}
}

// settingsFor returns settings sending every event to base + path.
func settingsFor(base, path string) func() upstream.Settings {
	return upstream.Static(upstream.Settings{Templates: []upstream.Template{{URLTemplate: base + path}}})
}

// newClient returns a Client closed at the end of the test.
func newClient(t *testing.T, cfg upstream.Config) *upstream.Client {
	t.Helper()
	c := upstream.New(cfg)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

// invocation returns a client Invocation of target with one argument.
func invocation(id, target string, arg any) hubproto.Message {
	a, _ := json.Marshal([]any{arg})
	return hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: id, Target: target, Arguments: a}
}

// replies collects reply frames.
type replies chan []byte

func (r replies) reply(frame []byte) { r <- append([]byte(nil), frame...) }

// completion waits for one reply and decodes it.
func (r replies) completion(t *testing.T) hubproto.Message {
	t.Helper()
	select {
	case frame := <-r:
		msgs, rest, err := hubproto.JSON.Decode(frame)
		if err != nil || len(rest) != 0 || len(msgs) != 1 || msgs[0].Type != hubproto.TypeCompletion {
			t.Fatalf("reply %q: %v", frame, err)
		}
		return msgs[0]
	case <-time.After(5 * time.Second):
		t.Fatal("no reply")
		return hubproto.Message{}
	}
}

// completionFrame is what a Functions app answers for a result.
func completionFrame(id string, result any) []byte {
	raw, _ := json.Marshal(result)
	return hubproto.AppendJSONCompletion(nil, id, "", raw)
}
