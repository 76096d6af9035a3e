package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/httpapi"
)

// The user-group routes answer with the status codes of the api-version asked
// for: 2020-10-01 gives 202 for an add and 200 for removals, later versions (and
// a missing api-version, as before) 200 and 204; /api/v1 keeps its own.
func TestAPIVersionStatusCodes(t *testing.T) {
	for _, tc := range []struct {
		method, path, version string
		want                  int
	}{
		{"PUT", "/api/hubs/chat/users/u1/groups/g1", "2020-10-01", 202},
		{"PUT", "/api/hubs/chat/groups/g1/users/u1", "2020-10-01", 202},
		{"DELETE", "/api/hubs/chat/users/u1/groups/g1", "2020-10-01", 200},
		{"DELETE", "/api/hubs/chat/users/u1/groups", "2020-10-01", 200},
		{"PUT", "/api/hubs/chat/users/u1/groups/g1", "2022-06-01", 200},
		{"DELETE", "/api/hubs/chat/users/u1/groups/g1", "2024-12-01", 204},
		{"DELETE", "/api/hubs/chat/users/u1/groups", "2022-06-01", 204},
		{"PUT", "/api/hubs/chat/users/u1/groups/g1", "", 200},
		{"DELETE", "/api/hubs/chat/users/u1/groups", "", 204},
		{"POST", "/api/hubs/chat/:send", "2020-10-01", 202},
		{"PUT", "/api/v1/hubs/chat/groups/g1/users/u1", "2020-10-01", 202},
		{"DELETE", "/api/v1/hubs/chat/users/u1/groups", "anything", 202},
	} {
		f := newFixture(t)
		target := tc.path
		if tc.version != "" {
			target += "?api-version=" + tc.version
		}
		body := ""
		if tc.method == "POST" {
			body = `{"target":"m"}`
		}
		if w := f.do(tc.method, target, body); w.Code != tc.want {
			t.Errorf("%s %s: %d %s, want %d", tc.method, target, w.Code, w.Body.String(), tc.want)
		}
	}
}

// An unknown api-version is answered 400 naming the supported ones, before
// anything reaches the bus.
func TestUnknownAPIVersion(t *testing.T) {
	f := newFixture(t)
	for _, v := range []string{"2021-01-01", "1.0", "2024-12-01x"} {
		w := f.do("POST", "/api/hubs/chat/:send?api-version="+v, `{"target":"m"}`)
		if w.Code != http.StatusBadRequest || w.Header().Get("x-ms-error-code") != "Error.Request.Invalid" {
			t.Fatalf("api-version %s: %d %s, want 400 Error.Request.Invalid", v, w.Code, w.Body.String())
		}
		var e struct{ Message, Target string }
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Target != "api-version" {
			t.Fatalf("body %s", w.Body.String())
		}
		for _, s := range httpapi.SupportedAPIVersions {
			if !strings.Contains(e.Message, s) {
				t.Errorf("message %q does not list %s", e.Message, s)
			}
		}
	}
	// Repeated (even behind an empty first value), empty, or named in
	// another case: refused, never served as "no version".
	for _, q := range []string{
		"api-version=2022-06-01&api-version=2024-12-01",
		"api-version=&api-version=bogus",
		"api-version=&api-version=2024-12-01",
		"api-version=",
		"API-Version=bogus",
		"api-version=2024-12-01&API-VERSION=2020-10-01",
	} {
		w := f.do("POST", "/api/hubs/chat/:send?"+q, `{"target":"m"}`)
		if w.Code != http.StatusBadRequest || w.Header().Get("x-ms-error-code") != "Error.Request.Invalid" {
			t.Errorf("%s: %d %s, want 400", q, w.Code, w.Body.String())
		}
	}
	if w := f.do("POST", "/api/hubs/chat/:send?API-Version=2024-12-01", `{"target":"m"}`); w.Code != http.StatusAccepted {
		t.Errorf("API-Version=2024-12-01: %d %s, want 202", w.Code, w.Body.String())
	}
	f.reset()
	if n := len(f.envelopes()); n != 0 {
		t.Errorf("%d envelopes reached the bus", n)
	}
}
