package upstream_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/upstream"
)

type loaded struct {
	s   upstream.Settings
	err error
}

func settingsJSON(url string) []byte {
	return []byte(`{"UpstreamSettings":{"Templates":[{"UrlTemplate":"` + url + `"}]}}`)
}

func TestWatchFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "settings.json")
	if err := os.WriteFile(path, settingsJSON("http://one/"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan loaded, 16)
	stop := upstream.WatchFile(context.Background(), path, 5*time.Millisecond, func(s upstream.Settings, err error) {
		got <- loaded{s, err}
	})
	defer stop()

	next := func() loaded {
		t.Helper()
		select {
		case l := <-got:
			return l
		case <-time.After(5 * time.Second):
			t.Fatal("no reload")
			return loaded{}
		}
	}
	url := func(l loaded) string {
		if l.err != nil || len(l.s.Templates) != 1 {
			t.Fatalf("loaded %+v", l)
		}
		return l.s.Templates[0].URLTemplate
	}

	// The first load happens before WatchFile returns.
	select {
	case l := <-got:
		if url(l) != "http://one/" {
			t.Errorf("first load %+v", l)
		}
	default:
		t.Fatal("first load not synchronous")
	}

	if err := os.WriteFile(path, settingsJSON("http://second/"), 0o600); err != nil {
		t.Fatal(err)
	}
	if u := url(next()); u != "http://second/" {
		t.Errorf("reload %q", u)
	}

	if err := os.WriteFile(path, []byte(`{"UpstreamSettings":`), 0o600); err != nil {
		t.Fatal(err)
	}
	if l := next(); !errors.Is(l.err, upstream.ErrInvalidSettings) {
		t.Errorf("invalid file: %+v", l)
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if l := next(); !errors.Is(l.err, fs.ErrNotExist) {
		t.Errorf("removed file: %+v", l)
	}

	if err := os.WriteFile(path, settingsJSON("http://third.example/"), 0o600); err != nil {
		t.Fatal(err)
	}
	if u := url(next()); u != "http://third.example/" {
		t.Errorf("recreated %q", u)
	}

	select {
	case l := <-got:
		t.Errorf("reload without a change: %+v", l)
	case <-time.After(30 * time.Millisecond):
	}
}

func TestWatchFileStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls int
	stop := upstream.WatchFile(ctx, filepath.Join(t.TempDir(), "missing.json"), time.Millisecond, func(s upstream.Settings, err error) {
		calls++
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("err = %v", err)
		}
	})
	cancel()
	stop() // waits for the goroutine
	stop() // idempotent
	if calls != 1 {
		t.Errorf("%d calls for a missing file, want 1", calls)
	}
}
