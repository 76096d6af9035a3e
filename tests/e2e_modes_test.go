package tests

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// Endpoints of the modes Herald does not serve (Default mode's app server
// endpoint, ASP.NET SignalR clients) answer 404 with a body that says so,
// whatever the method, instead of a bare 404.
func TestUnsupportedModesExplained(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/server/?hub=chat", "Default mode"},
		{"POST", "/server/negotiate?hub=chat", "Default mode"},
		{"GET", "/server", "Default mode"},
		{"POST", "/aspnetclient/negotiate?hub=chat", "ASP.NET SignalR"},
		{"GET", "/signalr/negotiate?clientProtocol=2.1", "ASP.NET SignalR"},
		{"GET", "/signalr", "ASP.NET SignalR"},
	} {
		req, err := http.NewRequest(tc.method, e.srv.URL()+tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "Serverless mode only") ||
			!strings.Contains(string(body), tc.want) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
			t.Errorf("%s %s: %d %q", tc.method, tc.path, resp.StatusCode, body)
		}
	}
	// Paths that merely start alike are not caught.
	resp, err := http.Get(e.srv.URL() + "/serverless")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(body), "Serverless mode only") {
		t.Errorf("/serverless answered %q", body)
	}
}
