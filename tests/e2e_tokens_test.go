package tests

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/gateway"
	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/shared/token"
	"github.com/heraldrt/herald/tests/internal/jsclient"
)

// Access tokens from the app negotiate endpoint live one hour by default, as Azure's.
func TestDefaultTokenLifetime(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resp, err := http.Post(e.srv.URL()+"/api/negotiate?hub="+hub, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var info struct{ AccessToken string }
	if err := json.Unmarshal(body, &info); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("negotiate: %d %s %v", resp.StatusCode, body, err)
	}
	parts := strings.Split(info.AccessToken, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q", info.AccessToken)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct{ Iat, Exp int64 }
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	if claims.Exp-claims.Iat != 3600 {
		t.Fatalf("token lifetime %d s, want 3600", claims.Exp-claims.Iat)
	}
}

// With asrs.s.coae the official client is closed when its token expires, with a
// Close message that says so.
func TestCloseOnAuthExpirationOfficialClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	iss, err := token.NewIssuer(token.IssuerConfig{Key: node.DevAccessKey})
	if err != nil {
		t.Fatal(err)
	}
	url := e.srv.URL() + "/client/?hub=" + hub
	soon := strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10)
	tok, err := iss.Issue(url, map[string]any{"asrs.s.uid": "alice", "asrs.s.coae": "true", "asrs.s.aeo": soon}, 0)
	if err != nil {
		t.Fatal(err)
	}
	e.js.ConnectWait(t, jsclient.ConnectOptions{Name: "x", URL: url, AccessToken: tok,
		Transport: jsclient.WebSockets, Methods: []string{recv}}, wait)
	closed := e.js.Expect(t, "x", jsclient.KindClosed, wait)
	if !strings.Contains(closed.ErrorText(), gateway.ReasonTokenExpired) {
		t.Fatalf("closed with %q, want %q", closed.ErrorText(), gateway.ReasonTokenExpired)
	}
}
