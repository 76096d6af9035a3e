package upstream

import (
	"os"
	"path/filepath"
	"testing"
)

// A file rewritten in place is seen truncated or half-written by a poll that
// lands between the writes; the watcher must wait until it holds still and
// load only the finished file.
func TestWatcherWaitsForAFileToHoldStill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "settings.json")
	full := []byte(`{"UpstreamSettings":{"Templates":[{"UrlTemplate":"http://one/"}]}}`)
	write := func(b []byte) {
		t.Helper()
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(full)
	var got []error
	var urls []string
	w := &watcher{path: path, onChange: func(s Settings, err error) {
		got = append(got, err)
		if err == nil {
			urls = append(urls, s.Templates[0].URLTemplate)
		}
	}}
	w.check(true)

	full2 := []byte(`{"UpstreamSettings":{"Templates":[{"UrlTemplate":"http://second.example/"}]}}`)
	write(nil) // truncated, as os.WriteFile does first
	w.check(false)
	write(full2[:20]) // half written
	w.check(false)
	write(full2)
	w.check(false) // changed again: still waiting
	w.check(false) // held still for one poll: loaded
	w.check(false) // no change: nothing

	if len(got) != 2 || got[0] != nil || got[1] != nil {
		t.Fatalf("reports %v, want two loads without errors", got)
	}
	if urls[1] != "http://second.example/" {
		t.Fatalf("loaded %q", urls[1])
	}
}
