package tests

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/heraldrt/herald/tests/internal/jsclient"
)

// A client's stream() on gateway process 2 reaches the upstream function, which
// feeds it through the REST API of the functions process: every item arrives in
// order, then the completion, over a real Redis, JSON and MessagePack.
func TestMultiNodeStreams(t *testing.T) {
	t.Parallel()
	f := &streamFunction{open: map[string][2]string{}, errs: make(chan error, 16)}
	fn := httptest.NewServer(f)
	t.Cleanup(fn.Close)
	settings := filepath.Join(t.TempDir(), "settings.json")
	body := `{"UpstreamSettings":{"Templates":[{"UrlTemplate":"` + fn.URL + `/{event}"}]}}`
	if err := os.WriteFile(settings, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	c := newCluster(t, 1)
	c.addGateway(t, "HERALD_UPSTREAM_SETTINGS="+settings)
	f.rest = c.rest
	t.Cleanup(func() {
		select {
		case err := <-f.errs:
			t.Errorf("stream function: %v", err)
		default:
		}
	})
	for _, p := range []jsclient.Protocol{jsclient.JSON, jsclient.MessagePack} {
		name := "s-" + string(p)
		u, tok := c.clientURL(t, name, "", c.gateways[gw2].Addr)
		c.js.ConnectWait(t, jsclient.ConnectOptions{Name: name, URL: u, AccessToken: tok, Transport: jsclient.WebSockets, Protocol: p}, wait)
		if err := c.js.Stream(name, "st", "count", 20); err != nil {
			t.Fatal(err)
		}
		items, endErr := expectStream(t, c.js, name, "st")
		if endErr != "" || len(items) != 20 {
			t.Fatalf("%s: %d items, end %q; want 20 and a clean end", name, len(items), endErr)
		}
		for i, it := range items {
			if want := `{"i":` + strconv.Itoa(i) + `}`; it != want {
				t.Fatalf("%s: item %d is %s, want %s", name, i, it, want)
			}
		}
	}
}
