package token_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/heraldrt/herald/shared/token"
)

func TestFromRequest(t *testing.T) {
	tests := []struct {
		name   string
		target string
		auth   string
		want   string
	}{
		{"header", "/client/negotiate?hub=chat", "Bearer abc", "abc"},
		{"scheme case-insensitive", "/client/", "bearer  abc ", "abc"},
		{"query", "/client/?hub=chat&access_token=q.r.s", "", "q.r.s"},
		{"query escaped", "/client/?access_token=a%2Bb", "", "a+b"},
		{"header wins", "/client/?access_token=q", "Bearer h", "h"},
		{"basic falls back to query", "/client/?access_token=q", "Basic dXNlcjpwYXNz", "q"},
		{"empty bearer falls back", "/client/?access_token=q", "Bearer ", "q"},
		{"none", "/client/", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tt.target, nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			if got := token.FromRequest(r); got != tt.want {
				t.Errorf("FromRequest = %q, want %q", got, tt.want)
			}
		})
	}
	if token.FromRequest(nil) != "" || token.FromRequest(&http.Request{}) != "" {
		t.Error("nil request or URL")
	}
}
