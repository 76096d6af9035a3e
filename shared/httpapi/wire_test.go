package httpapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Over a real connection: escaped ids survive the wire and HEAD answers
// carry the error code without a body.
func TestOverHTTP(t *testing.T) {
	f := newFixture(t)
	f.register("chat", "c1", "a/b")
	srv := httptest.NewServer(f.h)
	defer srv.Close()

	do := func(method, target, body string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+target, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+sdkToken(t, target))
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = resp.Body.Close() })
		return resp
	}

	if resp := do("HEAD", "/api/hubs/chat/users/a%2Fb?api-version=2022-06-01", ""); resp.StatusCode != 200 {
		t.Errorf("HEAD existing user a/b: %d", resp.StatusCode)
	}
	resp := do("HEAD", "/api/hubs/chat/users/a%2Fc?api-version=2022-06-01", "")
	if resp.StatusCode != 404 || resp.Header.Get("x-ms-error-code") != "Warning.User.NotExisted" {
		t.Errorf("HEAD missing user: %d %q", resp.StatusCode, resp.Header.Get("x-ms-error-code"))
	}
	if b, _ := io.ReadAll(resp.Body); len(b) != 0 {
		t.Errorf("HEAD body %q", b)
	}
	if resp := do("POST", "/api/hubs/chat/users/a%2Fb/:send?api-version=2022-06-01", `{"Target":"m"}`); resp.StatusCode != 202 {
		t.Fatalf("send: %d", resp.StatusCode)
	}
	if env := f.envelopes(); len(env) != 1 || env[0].ID != "a/b" {
		t.Errorf("envelopes %+v", env)
	}
}
