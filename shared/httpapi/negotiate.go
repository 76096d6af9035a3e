package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heraldrt/herald/shared/conninfo"
	"github.com/heraldrt/herald/shared/token"
)

// NegotiatePath is the path the app-facing negotiate endpoint serves. A
// SignalR client built with withUrl("http://host/api?hub=chat") posts to
// /api/negotiate?hub=chat&negotiateVersion=1.
const NegotiatePath = "/api/negotiate"

// UserIDHeader names the request header that carries the user id in
// development mode (the Azure Functions convention).
const UserIDHeader = "x-ms-signalr-userid"

// DefaultTokenLifetime is the client token lifetime when
// NegotiateConfig.Lifetime is zero: 1 hour, as Azure's SDKs use.
const DefaultTokenLifetime = time.Hour

// NegotiateConfig configures [NewNegotiate]. Binding is required.
type NegotiateConfig struct {
	// Binding builds the client URL and access token.
	Binding *conninfo.Binding
	// App verifies the caller's app token (Authorization: Bearer). Nil is
	// development mode: no token is needed and the user id comes from the
	// x-ms-signalr-userid header, else the userId query parameter, else the
	// connection is anonymous.
	App token.AppVerifier
	// ClaimAllowList names the app-token claims copied into the client
	// access token. Empty copies none. The user id is always carried; in
	// development mode (App nil) a diag=yes query marks the client as a
	// diagnostic client (the asrs.s.dc claim); with App, list asrs.s.dc
	// here to let app tokens carry it.
	ClaimAllowList []string
	// Lifetime is the client token lifetime. Zero means
	// DefaultTokenLifetime (1 hour).
	Lifetime time.Duration
	// ClientBase is the base URL clients connect to, e.g.
	// "https://signalr.example.com/". Empty derives it from each request:
	// https when the request came over TLS or X-Forwarded-Proto says so,
	// the host from X-Forwarded-Host or Host, followed by "/". Set it in
	// production: the derived value trusts the forwarding headers.
	ClientBase string
	// Gateways, when set, is asked how many gateway nodes are alive before
	// a connection is handed out: with none (or when it cannot tell, e.g.
	// Redis is down) negotiate answers 503 "no gateway is available yet"
	// instead of a URL nobody serves. Nil skips the check (one process
	// holding its own gateway, as the local emulator).
	Gateways GatewayCounter
	// CORS says which browser origins may call cross-origin. The zero
	// value allows none.
	CORS CORSPolicy
	// Logger receives a record per failed request: a refused app token
	// at Warn (see [AuthMetrics]), other client errors at Debug, server
	// errors at Error. Nil discards.
	Logger *slog.Logger
	// Metrics counts refused app tokens. Nil counts nothing.
	Metrics AuthMetrics
	// ForwardedHops means what it means in [RESTConfig]: the trusted
	// proxies the refusal records read the client's IP through.
	ForwardedHops int
}

// GatewayCounter counts the live gateway nodes (redisbus.Bus does).
type GatewayCounter interface {
	LiveNodes(ctx context.Context) (int, error)
}

// ErrTextNoGateway answers a negotiate while no gateway node is alive.
const ErrTextNoGateway = "No gateway is available yet, please try again later."

// connectionInfo is the response body, the shape of the Functions
// SignalRConnectionInfo binding.
type connectionInfo struct {
	URL         string `json:"url"`
	AccessToken string `json:"accessToken"`
}

type negotiator struct {
	binding  *conninfo.Binding
	app      token.AppVerifier
	allow    []string
	lifetime time.Duration
	base     string
	gateways GatewayCounter
	log      *slog.Logger
	metrics  AuthMetrics
	hops     int
}

// NewNegotiate returns the app-facing negotiate endpoint: GET or POST
// NegotiatePath?hub=<hub> answers 200 {"url","accessToken"}. The handler
// is wrapped in cfg.CORS. Errors are JSON ErrorDetail bodies: 400 for a
// missing, repeated or invalid hub, 401 for a missing or invalid app token,
// 403 for a hub or application the app token's ClaimHubs or
// ClaimApplications does not allow, 413 when the access token would be too long, 405 for other methods.
func NewNegotiate(cfg NegotiateConfig) (http.Handler, error) {
	if cfg.Binding == nil {
		return nil, errors.New("httpapi: NegotiateConfig.Binding is required")
	}
	if cfg.Lifetime < 0 {
		return nil, errors.New("httpapi: NegotiateConfig.Lifetime must not be negative")
	}
	if cfg.ForwardedHops < 0 {
		return nil, errors.New("httpapi: NegotiateConfig.ForwardedHops must not be negative")
	}
	n := &negotiator{
		binding:  cfg.Binding,
		app:      cfg.App,
		allow:    cfg.ClaimAllowList,
		lifetime: cfg.Lifetime,
		base:     cfg.ClientBase,
		gateways: cfg.Gateways,
		log:      cfg.Logger,
		metrics:  cfg.Metrics,
		hops:     cfg.ForwardedHops,
	}
	if n.lifetime == 0 {
		n.lifetime = DefaultTokenLifetime
	}
	if n.base != "" {
		u, err := url.Parse(n.base)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("httpapi: NegotiateConfig.ClientBase %q is not an absolute http or https URL", n.base)
		}
		if !strings.HasSuffix(n.base, "/") {
			n.base += "/"
		}
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.Handle("POST "+NegotiatePath, n)
	mux.Handle("GET "+NegotiatePath, n)
	return cfg.CORS.Wrap(&jsonMux{mux: mux}), nil
}

func (n *negotiator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	info, err := n.negotiate(r)
	if err != nil {
		ae := writeError(w, err)
		if ae.auth != "" {
			logAuthRefusal(n.log, n.metrics, r, n.hops, "negotiate", "negotiate", r.URL.Query().Get("hub"), ae)
			return
		}
		level := slog.LevelDebug
		if ae.status >= 500 {
			level = slog.LevelError
		}
		n.log.LogAttrs(r.Context(), level, "negotiate failed",
			slog.Int("status", ae.status), slog.String("code", ae.code), slog.Any("err", err))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, connectionInfo{URL: info.URL, AccessToken: info.AccessToken})
}

func (n *negotiator) negotiate(r *http.Request) (conninfo.Info, error) {
	if err := checkQuery(r); err != nil {
		return conninfo.Info{}, err
	}
	q := r.URL.Query()
	hubs := q["hub"]
	switch {
	case len(hubs) == 0 || hubs[0] == "":
		return conninfo.Info{}, invalid("hub", "Missing hub: call "+NegotiatePath+"?hub=<hub name>.")
	case len(hubs) > 1:
		return conninfo.Info{}, invalid("hub", "The hub query parameter must appear once.")
	case !conninfo.ValidHubName(hubs[0]):
		return conninfo.Info{}, invalid("hub", "Invalid hub name: it must start with a letter and contain at most 128 letters, digits or _`,.[]")
	}
	app := q.Get("application")
	if app != "" && !conninfo.ValidHubName(app) {
		return conninfo.Info{}, invalid("application", "Invalid application name: it must start with a letter and contain at most 128 letters, digits or _`,.[]")
	}
	user, claims, err := n.identity(r, hubs[0], app)
	if err != nil {
		return conninfo.Info{}, err
	}
	diagnostic := n.app == nil && isYes(q.Get("diag"))
	if n.gateways != nil {
		live, err := n.gateways.LiveNodes(r.Context())
		switch {
		case err != nil:
			return conninfo.Info{}, fmt.Errorf("count gateways: %w", err) // 503: the bus is unavailable
		case live == 0:
			return conninfo.Info{}, &apiError{status: http.StatusServiceUnavailable, code: codeServiceUnavailable, msg: ErrTextNoGateway}
		}
	}
	base := n.base
	if base == "" {
		scheme, host := requestOrigin(r)
		base = scheme + "://" + host + "/"
	}
	info, err := n.binding.ConnectionInfo(conninfo.Request{
		Hub:         hubs[0],
		Application: app,
		UserID:      user,
		Claims:      claims,
		Diagnostic:  diagnostic,
		Lifetime:    n.lifetime,
		ClientBase:  base,
	})
	switch {
	case errors.Is(err, conninfo.ErrInvalidClientBase):
		// Only a derived base gets here: NewNegotiate checks a configured one.
		return conninfo.Info{}, invalid("Host", "Cannot build the client URL from the request's Host or X-Forwarded-Host header.")
	case errors.Is(err, conninfo.ErrInvalidHub):
		return conninfo.Info{}, invalid("hub", err.Error())
	case errors.Is(err, token.ErrTooLong):
		return conninfo.Info{}, &apiError{status: http.StatusRequestEntityTooLarge, code: codeTooLarge,
			msg: "The client access token would be too long: " + tooLongDetail(err) + ". Clients cannot use tokens this long; copy fewer claims into it (shorten ClaimAllowList) or use a shorter user id."}
	case err != nil:
		return conninfo.Info{}, err
	}
	return info, nil
}

// identity returns the user id and the claims to copy into the client
// token.
func (n *negotiator) identity(r *http.Request, hub, app string) (string, map[string]any, error) {
	if n.app == nil {
		user := r.Header.Get(UserIDHeader)
		if user == "" {
			user = r.URL.Query().Get("userId")
		}
		if len(user) > maxUserLen {
			return "", nil, invalid("userId", "Invalid user id: it must have at most 1024 characters.")
		}
		if !utf8.ValidString(user) {
			return "", nil, invalid("userId", "Invalid user id: it is not valid UTF-8.")
		}
		return user, nil, nil
	}
	raw, ok := bearerToken(r)
	if !ok {
		return "", nil, &apiError{status: http.StatusUnauthorized, code: codeUnauthorized, auth: token.ReasonMissing,
			msg: "Unauthorized: send the app token as Authorization: Bearer <token>."}
	}
	claims, err := n.app.VerifyApp(r.Context(), raw)
	if err != nil {
		return "", nil, tokenError(err)
	}
	if err := checkAppScope(claims, hub, app); err != nil {
		return "", nil, err
	}
	user := claims.String("sub")
	if user == "" {
		user = claims.UserID()
	}
	var copied map[string]any
	for _, name := range n.allow {
		if v, ok := claims[name]; ok {
			if copied == nil {
				copied = make(map[string]any, len(n.allow))
			}
			copied[name] = v
		}
	}
	return user, copied, nil
}

// bearerToken returns the token of an "Authorization: Bearer <token>"
// header.
func bearerToken(r *http.Request) (string, bool) {
	scheme, raw, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	raw = strings.TrimSpace(raw)
	if !ok || !strings.EqualFold(scheme, "Bearer") || raw == "" {
		return "", false
	}
	return raw, true
}

// requestOrigin returns the scheme and host the client used to reach us,
// honouring X-Forwarded-Proto and X-Forwarded-Host (first value) from a
// reverse proxy or API gateway.
func requestOrigin(r *http.Request) (scheme, host string) {
	scheme = "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if v := firstValue(r.Header.Get("X-Forwarded-Proto")); v != "" {
		if v = strings.ToLower(v); v == "http" || v == "https" {
			scheme = v
		}
	}
	host = r.Host
	if v := firstValue(r.Header.Get("X-Forwarded-Host")); v != "" {
		host = v
	}
	if host == "" {
		host = "localhost"
	}
	return scheme, host
}

func firstValue(v string) string {
	v, _, _ = strings.Cut(v, ",")
	return strings.TrimSpace(v)
}

// isYes reads a query flag such as diag=yes.
func isYes(v string) bool {
	switch strings.ToLower(v) {
	case "yes", "true", "1", "on":
		return true
	}
	return false
}

// tooLongDetail is the lengths a token.ErrTooLong error states ("5000
// characters, limit 4096"), without the packages' prefixes.
func tooLongDetail(err error) string {
	_, detail, ok := strings.Cut(err.Error(), token.ErrTooLong.Error()+": ")
	if !ok {
		return "over the limit"
	}
	return detail
}
