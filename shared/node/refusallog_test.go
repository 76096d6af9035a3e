package node

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/testsupport"
)

// A node passes its trusted proxy count (Gateway.ForwardedHops) to the
// REST API and the app negotiate endpoint: their refusal records name the
// client's IP from X-Forwarded-For, as the gateway's records do.
func TestRefusalRecordsHonourForwardedHops(t *testing.T) {
	logs := &testsupport.Buffer{}
	cfg := Config{Addr: "localhost:0", Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		AppSecret: "an-app-secret-0123456789abcdef0123"}
	cfg.Gateway.ForwardedHops = 1
	s, stop := start(t, cfg)
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	for _, path := range []string{"/api/hubs/chat/:send?api-version=2022-06-01", "/api/negotiate?hub=chat"} {
		logs.Reset()
		req, err := http.NewRequest(http.MethodPost, s.URL()+path, strings.NewReader(`{"target":"m"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Forwarded-For", "203.0.113.7")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s: status %d, want 401", path, resp.StatusCode)
		}
		recs, err := logs.Records(httpapi.LogAuthenticationFailed)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1 || recs[0]["callerIpAddress"] != "203.0.113.7" || recs[0]["hubName"] != "chat" {
			t.Errorf("%s: records %v, want one with callerIpAddress 203.0.113.7 and hubName chat", path, recs)
		}
	}
}
