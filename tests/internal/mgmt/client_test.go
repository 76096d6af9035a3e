package mgmt_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/goleak"

	"github.com/heraldrt/herald/tests/internal/mgmt"
)

const testKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"chat":         "chat",
		"a b/c@d":      "a%20b%2Fc%40d",
		"x:y+z=1&2;~_": "x%3Ay%2Bz%3D1%262%3B~_",
		"ü":            "%C3%BC",
	} {
		if got := mgmt.Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

type seen struct {
	method, uri, auth, contentType, body string
	chunked                              bool
}

func start(t *testing.T) (*mgmt.Client, chan seen, string) {
	t.Helper()
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.RequestURI, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), string(body),
			len(r.TransferEncoding) == 1 && r.TransferEncoding[0] == "chunked"}
		w.Header().Set("x-ms-error-code", "Warning.User.NotExisted")
		w.WriteHeader(http.StatusNotFound)
	}))
	t.Cleanup(srv.Close)
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	c, err := mgmt.New("Endpoint=http://127.0.0.1;Port=" + port + ";AccessKey=" + testKey + ";Version=1.0;")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, got, port
}

func parse(t *testing.T, auth, key string) (jwt.MapClaims, *jwt.Token) {
	t.Helper()
	claims := jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(strings.TrimPrefix(auth, "Bearer "), claims,
		func(*jwt.Token) (any, error) { return []byte(key), nil },
		jwt.WithValidMethods([]string{"HS256"}))
	if err != nil {
		t.Fatalf("token %q does not verify: %v", auth, err)
	}
	return claims, tok
}

func TestSendToGroupLikeSDK(t *testing.T) {
	c, got, port := start(t)
	resp, err := c.SendToGroup(context.Background(), "Chat", "g 1/x", "recv", []any{"hi", 2}, "c1", "c/2")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 404 || resp.ErrorCode() != "Warning.User.NotExisted" {
		t.Errorf("response = %v", resp)
	}
	s := <-got
	if s.method != "POST" {
		t.Errorf("method = %s", s.method)
	}
	if want := "/api/hubs/chat/groups/g%201%2Fx/:send?api-version=2022-06-01&excluded=c1&excluded=c%2F2"; s.uri != want {
		t.Errorf("uri = %s, want %s", s.uri, want)
	}
	if want := `{"Target":"recv","Arguments":["hi",2]}`; s.body != want {
		t.Errorf("body = %s, want %s", s.body, want)
	}
	if s.contentType != "application/json; charset=utf-8" || !s.chunked {
		t.Errorf("content type %q chunked %v, want SDK's json and chunked", s.contentType, s.chunked)
	}
	claims, tok := parse(t, s.auth, testKey)
	if want := "http://127.0.0.1/api/hubs/chat/groups/g%201%2Fx/:send?api-version=2022-06-01"; claims["aud"] != want {
		t.Errorf("aud = %v, want %s (port %s dropped, extra query excluded)", claims["aud"], want, port)
	}
	if kid, ok := tok.Header["kid"].(string); !ok {
		t.Errorf("kid header = %v, want a number string", tok.Header["kid"])
	} else if _, err := strconv.Atoi(kid); err != nil {
		t.Errorf("kid %q is not a number", kid)
	}
	if id, _ := claims["nameid"].(string); !strings.Contains(id, "_") || len(id) < 34 {
		t.Errorf("nameid = %q, want <host>_<32 hex>", id)
	}
	exp, _ := claims.GetExpirationTime()
	iat, _ := claims.GetIssuedAt()
	nbf, _ := claims.GetNotBefore()
	if exp == nil || iat == nil || nbf == nil || exp.Sub(iat.Time) != time.Hour || !nbf.Equal(iat.Time) {
		t.Errorf("exp/iat/nbf = %v/%v/%v, want nbf = iat and a 1 h lifetime", exp, iat, nbf)
	}
}

func TestOptionsAndRoutes(t *testing.T) {
	c, got, _ := start(t)
	ctx := context.Background()

	if _, err := c.Do(ctx, http.MethodDelete, "chat", "/connections/"+mgmt.Escape("id@1"), url.Values{"reason": {"bye now"}}, nil, mgmt.WithoutToken()); err != nil {
		t.Fatal(err)
	}
	s := <-got
	if s.method != "DELETE" || s.uri != "/api/hubs/chat/connections/id%401?api-version=2022-06-01&reason=bye%20now" || s.auth != "" || s.body != "" {
		t.Errorf("close = %+v", s)
	}

	if _, err := c.Do(ctx, http.MethodGet, "chat", "/users/u/groups/g", nil, nil, mgmt.SignedWith("other")); err != nil {
		t.Fatal(err)
	}
	s = <-got
	parse(t, s.auth, "other")

	past := time.Now().Add(-3 * time.Hour)
	if _, err := c.Do(ctx, http.MethodHead, "chat", "/users/u", nil, nil, mgmt.IssuedAt(past, time.Hour)); err != nil {
		t.Fatal(err)
	}
	s = <-got
	if _, err := jwt.Parse(strings.TrimPrefix(s.auth, "Bearer "), func(*jwt.Token) (any, error) { return []byte(testKey), nil }); err == nil {
		t.Error("token issued 3 h ago with a 1 h lifetime verifies, want expired")
	}

	if _, err := c.UserInGroup(ctx, "chat", "u", "g"); err != nil {
		t.Fatal(err)
	}
	if s = <-got; s.method != "GET" || s.uri != "/api/hubs/chat/users/u/groups/g?api-version=2022-06-01" {
		t.Errorf("user in group = %+v", s)
	}
}
