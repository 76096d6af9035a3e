package tests

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"

	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/shared/upstream"
	"github.com/heraldrt/herald/tests/internal/jsclient"
	"github.com/heraldrt/herald/tests/internal/mgmt"
)

// streamFunction is an upstream function answering stream invocations over REST:
// "count" (n) sends items 0..n-1 then :complete; "countFail" sends one item then
// :complete?reason=; "broken" answers 500; "open" only records the stream, for the
// test to drive.
type streamFunction struct {
	rest *mgmt.Client
	mu   sync.Mutex
	open map[string][2]string // target -> connection id, stream id
	errs chan error
}

func (f *streamFunction) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	event, conn := r.Header.Get("X-ASRS-Event"), r.Header.Get("X-ASRS-Connection-Id")
	if r.Header.Get("X-ASRS-Category") != "messages" {
		return
	}
	m, err := decodeUpstream(r.Header.Get("Content-Type"), body)
	if err != nil || m.Type != hubproto.TypeStreamInvocation {
		f.errs <- &streamErr{"upstream got " + strconv.Quote(string(body)) + ", want a StreamInvocation"}
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	switch event {
	case "broken":
		w.WriteHeader(http.StatusInternalServerError)
		return
	case "open":
		f.mu.Lock()
		f.open[event] = [2]string{conn, m.InvocationID}
		f.mu.Unlock()
		return
	}
	go func() {
		ctx := context.Background()
		base := "/connections/" + mgmt.Escape(conn) + "/streams/" + mgmt.Escape(m.InvocationID)
		n := 1
		var args []int
		if event == "count" && json.Unmarshal(m.Arguments, &args) == nil && len(args) > 0 {
			n = args[0]
		}
		for i := range n {
			r, err := f.rest.DoBody(ctx, http.MethodPost, hub, base+"/:send", nil, "application/json", []byte(`{"i":`+strconv.Itoa(i)+`}`))
			if err == nil && r.StatusCode != http.StatusAccepted {
				err = &streamErr{"stream :send answered " + r.String()}
			}
			if err != nil {
				f.errs <- err
				return
			}
		}
		q := url.Values{}
		if event == "countFail" {
			q.Set("reason", "it went wrong")
		}
		if r, err := f.rest.DoBody(ctx, http.MethodPost, hub, base+"/:complete", q, "", nil); err != nil || r.StatusCode != http.StatusAccepted {
			f.errs <- &streamErr{"stream :complete failed"}
		}
	}()
}

type streamErr struct{ s string }

func (e *streamErr) Error() string { return e.s }

// decodeUpstream decodes an invocation the way the upstream receives it: one record
// without its framing, JSON or MessagePack; arguments come back as JSON.
func decodeUpstream(contentType string, body []byte) (hubproto.Message, error) {
	codec := hubproto.Codec(hubproto.JSON)
	rec := append(append([]byte(nil), body...), hubproto.RecordSeparator)
	if contentType == upstream.ContentTypeMessagePack {
		codec = hubproto.MessagePack
		rec = binary.AppendUvarint(nil, uint64(len(body)))
		rec = append(rec, body...)
	}
	msgs, _, err := codec.Decode(rec)
	if err != nil || len(msgs) != 1 {
		return hubproto.Message{}, &streamErr{"cannot decode the upstream body"}
	}
	m := msgs[0]
	if codec == hubproto.MessagePack {
		if m.Arguments, err = hubproto.MsgpackToJSON(nil, m.Arguments); err != nil {
			return m, err
		}
	}
	return m, nil
}

func withStreamFunction(t *testing.T) (*env, *streamFunction) {
	t.Helper()
	f := &streamFunction{open: map[string][2]string{}, errs: make(chan error, 16)}
	fn := httptest.NewServer(f)
	t.Cleanup(fn.Close)
	e := newEnv(t, func(c *node.Config) {
		c.Upstream = &upstream.Settings{Templates: []upstream.Template{{URLTemplate: fn.URL + "/{event}"}}}
	})
	f.rest = e.rest
	t.Cleanup(func() {
		select {
		case err := <-f.errs:
			t.Errorf("stream function: %v", err)
		default:
		}
	})
	return e, f
}

// expectStream collects the items of stream id on connection name until its end.
func expectStream(t *testing.T, js *jsclient.Driver, name, id string) (items []string, endErr string) {
	t.Helper()
	for {
		ev := js.ExpectFunc(t, wait, "stream "+id, func(ev jsclient.Event) bool {
			return ev.Name == name && ev.ID == id && (ev.Kind == jsclient.KindItem || ev.Kind == jsclient.KindStreamEnd || ev.Kind == jsclient.KindError)
		})
		switch ev.Kind {
		case jsclient.KindItem:
			items = append(items, string(ev.Item))
		case jsclient.KindStreamEnd:
			return items, ev.ErrorText()
		default:
			t.Fatalf("stream %s failed: %s", id, ev.Raw)
		}
	}
}

// A client's stream() reaches the upstream as a StreamInvocation; the items the
// function sends over REST arrive in order, then the completion or the error reason,
// JSON and MessagePack alike.
func TestServerToClientStreams(t *testing.T) {
	t.Parallel()
	e, _ := withStreamFunction(t)
	for _, p := range []jsclient.Protocol{jsclient.JSON, jsclient.MessagePack} {
		name := "s-" + string(p)
		e.js.ConnectWait(t, jsclient.ConnectOptions{Name: name, URL: e.clientURL(), Transport: jsclient.WebSockets, Protocol: p}, wait)
		if err := e.js.Stream(name, "st1", "count", 50); err != nil {
			t.Fatal(err)
		}
		items, endErr := expectStream(t, e.js, name, "st1")
		if endErr != "" || len(items) != 50 {
			t.Fatalf("%s: %d items, end %q; want 50 items and a clean end", name, len(items), endErr)
		}
		for i, it := range items {
			if want := `{"i":` + strconv.Itoa(i) + `}`; it != want {
				t.Fatalf("%s: item %d is %s, want %s (in order)", name, i, it, want)
			}
		}
		if err := e.js.Stream(name, "st2", "countFail"); err != nil {
			t.Fatal(err)
		}
		items, endErr = expectStream(t, e.js, name, "st2")
		if len(items) != 1 || !contains(endErr, "it went wrong") {
			t.Fatalf("%s: %d items, end %q; want 1 item then the error reason", name, len(items), endErr)
		}
		if err := e.js.Stream(name, "st3", "broken"); err != nil {
			t.Fatal(err)
		}
		if items, endErr = expectStream(t, e.js, name, "st3"); len(items) != 0 || !contains(endErr, "500") {
			t.Fatalf("%s: a failing function: %d items, end %q; want an error naming the status", name, len(items), endErr)
		}
	}
}

// A stream the client cancels, or whose connection ends, is closed: the function's
// next :send gets 404 Error.Stream.NotExisted.
func TestStreamCleanup(t *testing.T) {
	t.Parallel()
	e, f := withStreamFunction(t)
	ctx := context.Background()
	e.js.ConnectWait(t, jsclient.ConnectOptions{Name: "c1", URL: e.clientURL(), Transport: jsclient.WebSockets}, wait)
	opened := func() (string, string) {
		var conn, stream string
		eventually(t, "the function saw the stream", func() bool {
			f.mu.Lock()
			defer f.mu.Unlock()
			v, ok := f.open["open"]
			delete(f.open, "open")
			conn, stream = v[0], v[1]
			return ok
		})
		return conn, stream
	}
	send := func(conn, stream string) *mgmt.Response {
		r, err := e.rest.DoBody(ctx, http.MethodPost, hub, "/connections/"+mgmt.Escape(conn)+"/streams/"+mgmt.Escape(stream)+"/:send", nil, "application/json", []byte(`"x"`))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if err := e.js.Stream("c1", "st1", "open"); err != nil {
		t.Fatal(err)
	}
	conn, stream := opened()
	status(t, "send before cancel", http.StatusAccepted)(send(conn, stream), nil)
	e.js.ExpectFunc(t, wait, "item", func(ev jsclient.Event) bool { return ev.Kind == jsclient.KindItem && ev.ID == "st1" })
	if err := e.js.Cancel("c1", "st1"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the stream is closed after the client's CancelInvocation", func() bool {
		return send(conn, stream).StatusCode == http.StatusNotFound
	})
	if r := send(conn, stream); r.ErrorCode() != "Error.Stream.NotExisted" {
		t.Errorf("send after cancel: %s, want 404 Error.Stream.NotExisted", r.String())
	}

	if err := e.js.Stream("c1", "st2", "open"); err != nil {
		t.Fatal(err)
	}
	conn, stream = opened()
	if err := e.js.Stop("c1"); err != nil {
		t.Fatal(err)
	}
	e.js.Expect(t, "c1", jsclient.KindStopped, wait)
	eventually(t, "the stream is closed with its connection", func() bool {
		return send(conn, stream).StatusCode == http.StatusNotFound
	})
}

// Client-to-server streams are refused with a message that says so, never forwarded
// without their items: a blocking invoke is rejected; a send (nothing to answer)
// closes the connection with the reason.
func TestClientToServerStreamsRefused(t *testing.T) {
	t.Parallel()
	e, _ := withStreamFunction(t)
	e.js.ConnectWait(t, jsclient.ConnectOptions{Name: "c1", URL: e.clientURL(), Transport: jsclient.WebSockets}, wait)
	if err := e.js.Upload("c1", "u1", "upload", true, 1, 2, 3); err != nil {
		t.Fatal(err)
	}
	r := e.js.ExpectFunc(t, wait, "reply to u1", jsclient.IsReply("c1", "u1"))
	if r.Kind != jsclient.KindError || !contains(r.Message, "Client-to-server streaming is not supported") {
		t.Fatalf("blocking upload: %s, want a rejection naming client-to-server streaming", r.Raw)
	}
	if err := e.js.Upload("c1", "u2", "upload", false, 1, 2); err != nil {
		t.Fatal(err)
	}
	closed := e.js.Expect(t, "c1", jsclient.KindClosed, wait)
	if !contains(closed.ErrorText(), "Client-to-server streaming is not supported") {
		t.Fatalf("non-blocking upload: closed with %q, want the reason", closed.ErrorText())
	}
}

// Without an upstream a stream() is refused at once with the no-upstream text (not a
// text about client streaming).
func TestStreamWithoutUpstream(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.js.ConnectWait(t, jsclient.ConnectOptions{Name: "c1", URL: e.clientURL(), Transport: jsclient.WebSockets}, wait)
	if err := e.js.Stream("c1", "st1", "count", 3); err != nil {
		t.Fatal(err)
	}
	items, endErr := expectStream(t, e.js, "c1", "st1")
	if len(items) != 0 || !contains(endErr, "no upstream") {
		t.Fatalf("%d items, end %q; want the no-upstream error", len(items), endErr)
	}
}
