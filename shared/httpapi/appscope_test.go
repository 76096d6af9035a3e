package httpapi_test

import (
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/token"
)

// The herald.hubs and herald.applications claims of an app token restrict
// what its bearer may negotiate (with app auth the client still
// picked any hub and application).
func TestNegotiateAppScope(t *testing.T) {
	app, err := token.NewHMACAppVerifier(token.HMACAppConfig{Secret: appSecret})
	if err != nil {
		t.Fatal(err)
	}
	h := newNegotiate(t, httpapi.NegotiateConfig{App: app})
	tests := []struct {
		name   string
		claims map[string]any
		query  string
		status int
	}{
		{"no scope claims", nil, "hub=secrethub", 200},
		{"hub listed", map[string]any{httpapi.ClaimHubs: []any{"chat", "news"}}, "hub=Chat", 200},
		{"hub as a string", map[string]any{httpapi.ClaimHubs: "chat"}, "hub=chat", 200},
		{"hub not listed", map[string]any{httpapi.ClaimHubs: []any{"chat"}}, "hub=secrethub", 403},
		{"any hub", map[string]any{httpapi.ClaimHubs: "*"}, "hub=secrethub", 200},
		{"hub claim of another type", map[string]any{httpapi.ClaimHubs: 7}, "hub=chat", 401},
		{"application listed", map[string]any{httpapi.ClaimApplications: []any{"app"}}, "hub=chat&application=app", 200},
		{"application not listed", map[string]any{httpapi.ClaimApplications: []any{"app"}}, "hub=chat&application=other", 403},
		{"no application, not listed", map[string]any{httpapi.ClaimApplications: []any{"app"}}, "hub=chat", 403},
		{"no application, listed", map[string]any{httpapi.ClaimApplications: []any{"", "app"}}, "hub=chat", 200},
		{"both", map[string]any{httpapi.ClaimApplications: "app", httpapi.ClaimHubs: "chat"}, "hub=news&application=app", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims := map[string]any{"sub": "alice"}
			for k, v := range tt.claims {
				claims[k] = v
			}
			tok := issue(t, appSecret, "my-app", claims, time.Hour, nil)
			w := serve(h, "POST", "/api/negotiate?"+tt.query, "", bearerHdr(tok)...)
			switch tt.status {
			case 200:
				if w.Code != 200 {
					t.Fatalf("status %d: %s", w.Code, w.Body.String())
				}
			case 403:
				wantError(t, w, 403, "Error.Request.Forbidden", "does not allow")
			default:
				wantError(t, w, tt.status, "Error.Request.Unauthorized", "claim")
			}
		})
	}
}
