package samples_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/samples"
)

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
	return w
}

func TestChatPage(t *testing.T) {
	bundle := filepath.Join(t.TempDir(), "signalr.min.js")
	if err := os.WriteFile(bundle, []byte("window.signalR = {};"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := samples.Handler(samples.Config{SignalRScript: bundle})
	tests := []struct {
		path, ctype, body string
		status            int
	}{
		{"/samples/chat/", "text/html", `<script src="chat.js">`, 200},
		{"/samples/chat/index.html", "", "", http.StatusMovedPermanently}, // to ./
		{"/samples/chat/chat.js", "text/javascript", "withAutomaticReconnect", 200},
		{"/samples/chat/chat.css", "text/css", "#log", 200},
		{"/samples/chat/signalr.js", "text/javascript", "window.signalR", 200},
		{"/samples/chat/missing.js", "", "", 404},
	}
	for _, tt := range tests {
		w := get(t, h, tt.path)
		if w.Code != tt.status {
			t.Errorf("GET %s = %d, want %d", tt.path, w.Code, tt.status)
			continue
		}
		if tt.status != 200 {
			continue
		}
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, tt.ctype) {
			t.Errorf("GET %s: Content-Type %q, want %s", tt.path, ct, tt.ctype)
		}
		if !strings.Contains(w.Body.String(), tt.body) {
			t.Errorf("GET %s: body lacks %q", tt.path, tt.body)
		}
		if cc := w.Header().Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q", tt.path, cc)
		}
	}
}

// Without a configured bundle (or with a missing one) signalr.js is a 404,
// so the page falls back to its CDN copy.
func TestChatPageWithoutBundle(t *testing.T) {
	for _, cfg := range []samples.Config{{}, {SignalRScript: filepath.Join(t.TempDir(), "none.js")}, {SignalRScript: t.TempDir()}} {
		w := get(t, samples.Handler(cfg), "/samples/chat/signalr.js")
		if w.Code != 404 || !strings.Contains(w.Body.String(), "bundle") {
			t.Errorf("%+v: GET signalr.js = %d %q, want 404", cfg, w.Code, w.Body.String())
		}
	}
	if w := get(t, samples.Handler(samples.Config{}), "/samples/chat/"); w.Code != 200 {
		t.Errorf("page without bundle: %d", w.Code)
	}
}
