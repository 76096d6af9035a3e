package httpapi_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/heraldrt/herald/shared/httpapi"
)

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })

// corsAnswer sends one request with origin (a preflight when preflight)
// and returns the status and the two CORS headers that matter.
func corsAnswer(p httpapi.CORSPolicy, origin string, preflight bool) (int, string, string) {
	method, hdr := "POST", []string{"Origin", origin}
	if preflight {
		method, hdr = "OPTIONS", append(hdr, "Access-Control-Request-Method", "POST")
	}
	w := serve(p.Wrap(okHandler), method, "/client/negotiate", "", hdr...)
	return w.Code, w.Header().Get("Access-Control-Allow-Origin"), w.Header().Get("Access-Control-Allow-Credentials")
}

// Only listed origins get CORS headers; the zero policy allows none (the
// old handler reflected every origin with credentials).
func TestCORSPolicy(t *testing.T) {
	listed, err := httpapi.NewCORSPolicy([]string{"https://App.example.com", "http://localhost:3000"})
	if err != nil {
		t.Fatal(err)
	}
	anyOrigin, err := httpapi.NewCORSPolicy([]string{"*"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name           string
		p              httpapi.CORSPolicy
		origin         string
		preflight      bool
		status         int
		allowed, creds string
	}{
		{"listed", listed, "https://app.example.com", false, 200, "https://app.example.com", "true"},
		{"listed preflight", listed, "https://app.example.com", true, 204, "https://app.example.com", "true"},
		{"other origin", listed, "https://evil.example", false, 200, "", ""},
		{"other origin preflight", listed, "https://evil.example", true, 403, "", ""},
		{"other port", listed, "http://localhost:3001", false, 200, "", ""},
		{"other scheme", listed, "http://app.example.com", false, 200, "", ""},
		{"zero policy", httpapi.CORSPolicy{}, "https://app.example.com", false, 200, "", ""},
		{"zero policy preflight", httpapi.CORSPolicy{}, "https://app.example.com", true, 403, "", ""},
		{"star", anyOrigin, "https://anything.example", false, 200, "*", ""},
		{"star preflight", anyOrigin, "https://anything.example", true, 204, "*", ""},
		{"localhost", httpapi.LocalhostCORS(), "http://localhost:5173", false, 200, "http://localhost:5173", "true"},
		{"loopback v4", httpapi.LocalhostCORS(), "http://127.0.0.1:8080", true, 204, "http://127.0.0.1:8080", "true"},
		{"loopback v6", httpapi.LocalhostCORS(), "http://[::1]:8080", false, 200, "http://[::1]:8080", "true"},
		{"not localhost", httpapi.LocalhostCORS(), "http://localhost.evil.example", false, 200, "", ""},
		{"null origin", httpapi.LocalhostCORS(), "null", true, 403, "", ""},
	}
	for _, tc := range cases {
		status, allowed, creds := corsAnswer(tc.p, tc.origin, tc.preflight)
		if status != tc.status || allowed != tc.allowed || creds != tc.creds {
			t.Errorf("%s: %d %q %q, want %d %q %q", tc.name, status, allowed, creds, tc.status, tc.allowed, tc.creds)
		}
	}
}

func TestCORSPolicyErrors(t *testing.T) {
	for _, bad := range [][]string{
		{"*", "https://app.example.com"}, {"app.example.com"}, {"https://app.example.com/path"},
		{"ftp://app.example.com"}, {"https://user@app.example.com"},
	} {
		if _, err := httpapi.NewCORSPolicy(bad); !errors.Is(err, httpapi.ErrCORSOrigin) {
			t.Errorf("%q: %v, want ErrCORSOrigin", bad, err)
		}
	}
}
