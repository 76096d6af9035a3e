package httpapi

import (
	"net/http"
	"strings"
)

// UnsupportedModePaths are the path prefixes of Azure SignalR Service
// endpoints Herald does not serve: app servers of Default mode connect to
// /server/, ASP.NET (not Core) SignalR clients to /aspnetclient/ and, when
// pointed at the service with the library's default path, /signalr/.
// Mount UnsupportedModes on each so that such a caller learns why instead
// of getting a bare 404 (docs/decisions.md).
var UnsupportedModePaths = []string{"/server/", "/server", "/aspnetclient/", "/aspnetclient", "/signalr/", "/signalr"}

// UnsupportedModes answers 404 with a plain-text body explaining that
// Herald serves Serverless mode only, and what to use instead.
func UnsupportedModes() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msg := "Herald serves Azure SignalR Service in Serverless mode only; "
		switch p := r.URL.Path; {
		case p == "/server" || strings.HasPrefix(p, "/server/"):
			msg += "/server/ is where app servers connect in Default mode (Microsoft.Azure.SignalR), " +
				"which Herald does not serve. Send messages with the REST API (/api/...) or the Management SDK, " +
				"and receive client invocations through upstream settings.\n"
		default:
			msg += "ASP.NET SignalR (Microsoft.AspNet.SignalR) clients are not served. " +
				"Use an ASP.NET Core SignalR client (@microsoft/signalr, Microsoft.AspNetCore.SignalR.Client) " +
				"with the URL your negotiate function returns.\n"
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(msg))
	})
}
