package lambdafn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/heraldrt/herald/shared/awsparams"
	"github.com/heraldrt/herald/shared/bus/redisbus"
	"github.com/heraldrt/herald/shared/chathub"
	"github.com/heraldrt/herald/shared/config"
	"github.com/heraldrt/herald/shared/connstr"
	"github.com/heraldrt/herald/shared/functions"
	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/serverless"
)

// The functions, by the name of their directory under functions/.
const (
	// Negotiate serves the app-facing negotiate endpoint, /api/negotiate.
	Negotiate = "negotiate"
	// API serves the REST data plane and health: the rest of /api.
	API = "api"
	// ChatHub serves the sample upstream hub at WebhookPath.
	ChatHub = "chathub"
)

// Names lists every function.
var Names = []string{Negotiate, API, ChatHub}

// WebhookPath is where upstream functions listen, the path of the Azure
// Functions SignalR extension.
const WebhookPath = "/runtime/webhooks/signalr"

// ErrUnknown is returned for a function name not in Names.
var ErrUnknown = errors.New("lambdafn: unknown function")

// Function is one function's cold-start state: its handler and what must
// be closed when the process ends.
type Function struct {
	// Handler serves the function's HTTP requests.
	Handler http.Handler
	closers []func() error
}

// Close releases the Redis client and bus, if any.
func (f *Function) Close() error {
	var err error
	for i := len(f.closers) - 1; i >= 0; i-- {
		err = errors.Join(err, f.closers[i]())
	}
	return err
}

// New creates the named function from cfg: for negotiate and api one Redis
// client and one stateless bus (connections are made when first used).
func New(name string, cfg config.Functions, log *slog.Logger) (*Function, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	switch name {
	case Negotiate, API:
		return newBusFunction(name, cfg, log)
	case ChatHub:
		return newChatHub(cfg, log)
	}
	return nil, fmt.Errorf("%w: %q (use one of %s)", ErrUnknown, name, strings.Join(Names, ", "))
}

// ErrAnonymousNegotiate is returned for a negotiate function configured
// without app authentication and without the explicit opt-out.
var ErrAnonymousNegotiate = errors.New("the negotiate function needs app authentication: set HERALD_APP_SECRET or HERALD_APP_JWKS_URL (template parameter AppJwksUrl), or HERALD_ALLOW_ANONYMOUS_NEGOTIATE=true (AllowAnonymousNegotiate) to let callers choose their user id")

func newBusFunction(name string, cfg config.Functions, log *slog.Logger) (*Function, error) {
	if name == Negotiate && cfg.AppSecret == "" && cfg.AppJWKSURL == "" && !cfg.AllowAnonymousNegotiate {
		return nil, ErrAnonymousNegotiate
	}
	if name == Negotiate && cfg.AppSecret == "" && cfg.AppJWKSURL == "" {
		log.Warn("negotiate is anonymous (HERALD_ALLOW_ANONYMOUS_NEGOTIATE): callers choose their user id")
	}
	cors, err := httpapi.NewCORSPolicy(cfg.CORSOrigins)
	if err != nil {
		return nil, fmt.Errorf("HERALD_CORS_ORIGINS: %w", err)
	}
	redisbus.RouteClientLogs(log)
	ctx, cancel := context.WithTimeout(context.Background(), awsparams.DefaultTimeout)
	defer cancel()
	redisURL, err := RedisURL(ctx, cfg)
	if err != nil {
		return nil, err
	}
	client, err := redisbus.NewClient(redisURL)
	if err != nil {
		return nil, redisURLError(err)
	}
	b, err := redisbus.New(redisbus.Config{Client: client, KeyPrefix: cfg.RedisPrefix, Stateless: true, Logger: log,
		GroupLimits: cfg.GroupLimits()})
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	f := &Function{closers: []func() error{client.Close, b.Close}}
	f.Handler = &lazy{log: log, build: func(ctx context.Context) (http.Handler, error) {
		keys, err := Keys(ctx, cfg)
		if err != nil {
			return nil, err
		}
		fns, err := functions.New(functions.Config{
			Bus: b, ConnectionString: connectionString(cfg.PublicURL, keys[0]), AccessKeys: keys,
			ClientBase: cfg.PublicURL, AppSecret: cfg.AppSecret, AppJWKSURL: cfg.AppJWKSURL, AppAudience: cfg.AppAudience, AppIssuer: cfg.AppIssuer,
			ClaimAllowList: cfg.Claims, TokenLifetime: cfg.TokenLifetime, Logger: log, CORS: cors,
			MaxBodyBytes: int64(cfg.MaxBodyBytes),
		})
		if err != nil {
			return nil, err
		}
		if name == Negotiate {
			return fns.Negotiate, nil
		}
		return fns.REST, nil
	}}
	return f, nil
}

// connectionString is the service's connection string: the public URL
// (the audience base of client tokens) and the signing key. Without a
// public URL the audience base is http://localhost/, which gateways accept
// (they ignore the host of a client token's audience).
func connectionString(publicURL, key string) connstr.ConnectionString {
	u, err := url.Parse(publicURL)
	if publicURL == "" || err != nil {
		u = &url.URL{Scheme: "http", Host: "localhost"}
	}
	return connstr.ConnectionString{Endpoint: &url.URL{Scheme: u.Scheme, Host: u.Host}, AccessKey: key, Version: "1.0"}
}

func newChatHub(cfg config.Functions, log *slog.Logger) (*Function, error) {
	if cfg.PublicURL == "" {
		return nil, errors.New("HERALD_PUBLIC_URL (or HERALD_CONNECTION_STRING) is required: the chat hub calls the REST API there")
	}
	h := &lazy{log: log, build: func(ctx context.Context) (http.Handler, error) {
		keys, err := Keys(ctx, cfg)
		if err != nil {
			return nil, err
		}
		cs := connectionString(cfg.PublicURL, keys[0])
		sender, err := serverless.NewSender(serverless.SenderConfig{ConnectionString: cs.String()})
		if err != nil {
			return nil, err
		}
		mux := http.NewServeMux()
		mux.Handle("POST "+WebhookPath, chathub.New(keys, sender, log))
		return mux, nil
	}}
	return &Function{Handler: h}, nil
}

// ErrRedisURL is wrapped when REDIS_URL is not a URL.
var ErrRedisURL = errors.New("REDIS_URL is not a valid URL (the value is not shown: it may hold a password)")

// redisURLError is the error of a REDIS_URL the Redis client refused,
// without url.Parse's error, which quotes the whole URL, password included.
func redisURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ErrRedisURL
	}
	return fmt.Errorf("REDIS_URL: %w", err)
}
