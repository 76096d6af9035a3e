package functions

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/heraldrt/herald/shared/conninfo"
	"github.com/heraldrt/herald/shared/connstr"
	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/token"
)

// Config configures New: what the stateless functions need. Bus and
// ConnectionString are required.
type Config struct {
	// Bus takes messages and membership changes. A bus that is also an
	// httpapi.GatewayCounter (the Redis bus) makes negotiate answer 503
	// while no gateway node is alive.
	Bus httpapi.Bus
	// ConnectionString gives the audience base of client tokens (its
	// Endpoint) and the AccessKey that signs them.
	ConnectionString connstr.ConnectionString
	// AccessKeys verify REST tokens; the first signs :generateToken
	// tokens. Default: the connection string's AccessKey.
	AccessKeys []string
	// ClientBase is the base URL negotiate hands to clients, e.g. the
	// gateways' public URL. Default: derived from each negotiate request.
	ClientBase string
	// AppSecret, when set, makes negotiate require an HS256 app token
	// signed with it; AppJWKSURL one verified against this JWKS
	// (RS256/ES256). At most one of the two.
	AppSecret  string
	AppJWKSURL string
	// AppAudience and AppIssuer, when set, must be among an app token's
	// aud and equal its iss. Default: not checked.
	AppAudience string
	AppIssuer   string
	// ClaimAllowList names the app-token claims copied into access tokens.
	ClaimAllowList []string
	// TokenLifetime is the lifetime of negotiate's access tokens. Default
	// 1h.
	TokenLifetime time.Duration
	// Logger receives the logs.
	Logger *slog.Logger
	// HealthChecks, Metrics and Tracer mean what they mean in
	// httpapi.RESTConfig. Default: none.
	HealthChecks []httpapi.HealthCheck
	Metrics      httpapi.RESTMetrics
	Tracer       *diag.Tracer
	// CORS says which browser origins may call negotiate cross-origin.
	// Default: none.
	CORS httpapi.CORSPolicy
	// MaxBodyBytes limits REST message bodies (httpapi.RESTConfig).
	// Default httpapi.DefaultMaxBodyBytes (1 MiB).
	MaxBodyBytes int64
	// ForwardedHops is the number of trusted proxies in front that append
	// to X-Forwarded-For (httpapi.RESTConfig): the refusal records name
	// the client's IP read through them. Default 0: the TCP peer.
	ForwardedHops int
}

// Handlers are the handlers of the stateless functions: the app negotiate
// endpoint and the REST API. A node (roles all and functions) and the
// Lambda functions serve these same handlers.
type Handlers struct {
	// Negotiate serves GET and POST /api/negotiate.
	Negotiate http.Handler
	// REST serves the data-plane REST API and health under /api and /api/v1.
	REST http.Handler
}

// New builds the functions' handlers.
func New(cfg Config) (*Handlers, error) {
	if cfg.Bus == nil {
		return nil, errors.New("functions: Config.Bus is required")
	}
	keys := cfg.AccessKeys
	if len(keys) == 0 {
		keys = []string{cfg.ConnectionString.AccessKey}
	}
	verifier, err := token.NewVerifier(token.VerifierConfig{Keys: keys})
	if err != nil {
		return nil, fmt.Errorf("functions: %w", err)
	}
	issuer, err := token.NewIssuer(token.IssuerConfig{Key: keys[0]})
	if err != nil {
		return nil, fmt.Errorf("functions: %w", err)
	}
	rest, err := httpapi.NewREST(httpapi.RESTConfig{
		Bus: cfg.Bus, Verifier: verifier, Issuer: issuer,
		ClientAudienceBase: cfg.ConnectionString.AudienceBase(), Logger: cfg.Logger,
		HealthChecks: cfg.HealthChecks, Metrics: cfg.Metrics, Tracer: cfg.Tracer, MaxBodyBytes: cfg.MaxBodyBytes,
		ForwardedHops: cfg.ForwardedHops,
	})
	if err != nil {
		return nil, fmt.Errorf("functions: %w", err)
	}
	binding, err := conninfo.New(conninfo.Config{ConnectionString: cfg.ConnectionString, Lifetime: cfg.TokenLifetime})
	if err != nil {
		return nil, fmt.Errorf("functions: %w", err)
	}
	app, err := appVerifier(cfg.AppSecret, cfg.AppJWKSURL, cfg.AppAudience, cfg.AppIssuer)
	if err != nil {
		return nil, err
	}
	ncfg := httpapi.NegotiateConfig{
		Binding: binding, App: app, ClaimAllowList: cfg.ClaimAllowList,
		Lifetime: cfg.TokenLifetime, ClientBase: cfg.ClientBase, Logger: cfg.Logger, CORS: cfg.CORS,
		ForwardedHops: cfg.ForwardedHops,
	}
	if am, ok := cfg.Metrics.(httpapi.AuthMetrics); ok {
		ncfg.Metrics = am // refused app tokens
	}
	if gc, ok := cfg.Bus.(httpapi.GatewayCounter); ok {
		ncfg.Gateways = gc // Redis: 503 while no gateway node is alive
	}
	negotiate, err := httpapi.NewNegotiate(ncfg)
	if err != nil {
		return nil, fmt.Errorf("functions: %w", err)
	}
	return &Handlers{Negotiate: negotiate, REST: rest}, nil
}

// Mount serves both handlers on mux: /api/negotiate and the rest of /api/.
func (f *Handlers) Mount(mux *http.ServeMux) {
	mux.Handle(httpapi.NegotiatePath, f.Negotiate)
	mux.Handle("/api/", f.REST)
}

func appVerifier(secret, jwksURL, audience, issuer string) (token.AppVerifier, error) {
	switch {
	case secret != "" && jwksURL != "":
		return nil, errors.New("functions: set AppSecret or AppJWKSURL, not both")
	case secret != "":
		return token.NewHMACAppVerifier(token.HMACAppConfig{Secret: secret, Audience: audience, Issuer: issuer})
	case jwksURL != "":
		return token.NewJWKSAppVerifier(token.JWKSAppConfig{URL: jwksURL, Audience: audience, Issuer: issuer})
	}
	return nil, nil
}
