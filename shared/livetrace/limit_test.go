package livetrace_test

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/livetrace"
	"github.com/heraldrt/herald/shared/testsupport"
)

// A node serves at most MaxWatchers live trace streams: the next gets 429
// and is counted; a closed stream makes room. A malformed query is a 400.
func TestMaxWatchers(t *testing.T) {
	tr := diag.New(diag.Config{})
	var refused atomic.Int64
	_, srv := newServer(t, livetrace.Config{Tracer: tr, MaxWatchers: 2, OnLimit: func() { refused.Add(1) }})
	tok := token(t, key, time.Hour, time.Now())
	first := openStream(t, srv.URL, tok)
	openStream(t, srv.URL, tok)
	status := func(q string) int {
		resp, err := http.Get(srv.URL + "/livetrace/events?" + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := status("access_token=" + tok); got != http.StatusTooManyRequests {
		t.Fatalf("third stream: %d, want 429", got)
	}
	if refused.Load() != 1 {
		t.Errorf("refusals counted %d, want 1", refused.Load())
	}
	if got := status("access_token=" + tok + "&x=%zz"); got != http.StatusBadRequest {
		t.Errorf("malformed query: %d, want 400", got)
	}
	first.resp.Body.Close()
	testsupport.Eventually(t, 5*time.Second, "room after a stream closed", func() error {
		resp, err := http.Get(srv.URL + "/livetrace/events?access_token=" + tok)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	})
}
