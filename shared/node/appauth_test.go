package node

import (
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// With AppAudience and AppIssuer set, the app negotiate endpoint refuses
// app tokens issued for another application or by another issuer.
func TestAppTokenAudienceAndIssuer(t *testing.T) {
	const secret = "app-secret-for-tests"
	s, stop := start(t, Config{Addr: "127.0.0.1:0", AppSecret: secret, AppAudience: "my-app", AppIssuer: "https://idp.example"})
	defer func() { _ = stop() }()
	negotiate := func(aud, iss string) int {
		t.Helper()
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
			"sub": "alice", "aud": aud, "iss": iss, "exp": time.Now().Add(time.Minute).Unix(),
		}).SignedString([]byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodPost, s.URL()+"/api/negotiate?hub=chat", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	if code := negotiate("my-app", "https://idp.example"); code != http.StatusOK {
		t.Fatalf("token for this app: %d, want 200", code)
	}
	if code := negotiate("other-app", "https://idp.example"); code != http.StatusUnauthorized {
		t.Fatalf("token for another app: %d, want 401", code)
	}
	if code := negotiate("my-app", "https://evil.example"); code != http.StatusUnauthorized {
		t.Fatalf("token from another issuer: %d, want 401", code)
	}
}
