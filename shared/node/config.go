package node

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/config"
	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/upstream"
)

// Role is what one process serves (Config.Role).
type Role string

// Roles.
const (
	// RoleAll serves everything: gateway, negotiate and REST.
	RoleAll Role = "all"
	// RoleGateway serves the client side (/client/...) and health, like a
	// gateway node in AWS.
	RoleGateway Role = "gateway"
	// RoleFunctions serves the app negotiate endpoint and the REST API,
	// like the Lambda functions in AWS.
	RoleFunctions Role = "functions"
)

// Roles lists every Role.
var Roles = []Role{RoleAll, RoleGateway, RoleFunctions}

// ErrRole is wrapped by ParseRole's and New's errors for an unknown role.
var ErrRole = errors.New("node: unknown role")

// ParseRole returns the Role named s.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("%w %q: use %s, %s or %s", ErrRole, s, RoleAll, RoleGateway, RoleFunctions)
}

// UnmarshalText parses a role name (flags, variables, files).
func (r *Role) UnmarshalText(b []byte) error {
	v, err := ParseRole(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// MarshalText returns the role's name.
func (r Role) MarshalText() ([]byte, error) { return []byte(r), nil }

// Config configures a Server. Zero values mean the documented defaults.
type Config struct {
	// Addr is the listen address (required; Development's is
	// "localhost:8888"). A "localhost" host listens on both 127.0.0.1 and
	// [::1] so it works whichever address a client resolves it to. Port 0
	// picks a free port.
	Addr string
	// AccessKeys sign and verify tokens; the first signs. Required
	// (Development's is [DevAccessKey]).
	AccessKeys []string
	// Bus is the bus to run on. Default: a bus.Memory owned (and closed) by
	// the Server.
	Bus bus.Bus
	// Role is what this process serves: RoleAll (default), RoleGateway or
	// RoleFunctions. The last two need Bus (Redis), shared with the other
	// processes.
	Role Role
	// ClientBase is the public base URL of the deployment: the base URL
	// negotiate hands to clients and the one GET / names, e.g. the
	// gateways' public URL (HERALD_PUBLIC_URL). Default: derived from each
	// negotiate request (right when one endpoint serves both, as in
	// RoleAll).
	ClientBase string
	// InternalURL is the base URL other gateway nodes reach this one at:
	// they forward Server-Sent Events and Long Polling requests for this
	// node's connections there (gateway.Config.InternalURL). Default:
	// derived from the listener (gateway.DefaultInternalURL), e.g.
	// http://127.0.0.1:8881.
	InternalURL string
	// Gateway are the gateway's limits, timeouts and quotas, passed to it
	// unchanged (gateway.Config.GatewayTuning; zero fields mean its
	// defaults). The quotas are counted through Bus, so they hold across
	// every process of a Redis deployment.
	Gateway config.GatewayTuning
	// Logger receives the logs. Default: discard.
	Logger *slog.Logger
	// AppSecret, when set, makes the app negotiate endpoint require an
	// HS256 bearer token signed with it and take the user from its sub.
	AppSecret string
	// AppJWKSURL, when set, makes the app negotiate endpoint require a
	// bearer token verified against this JWKS (RS256/ES256).
	AppJWKSURL string
	// AppAudience and AppIssuer, when set, must be among an app token's
	// aud and equal its iss. Default: not checked.
	AppAudience string
	AppIssuer   string
	// ClaimAllowList names the app-token claims copied into access tokens.
	// Default none.
	ClaimAllowList []string
	// MaxBodyBytes limits REST message bodies (httpapi.RESTConfig).
	// Default httpapi.DefaultMaxBodyBytes (1 MiB).
	MaxBodyBytes int64
	// TokenLifetime is the lifetime of access tokens from the app negotiate
	// endpoint. Default 1h.
	TokenLifetime time.Duration
	// UpstreamSettingsPath is a settings file in the Azure SignalR
	// emulator's format ({"UpstreamSettings":{"Templates":[...]}}); it is
	// reloaded when it changes. Default "": no upstream, so client
	// invocations are answered with an error at once.
	UpstreamSettingsPath string
	// Upstream are fixed upstream settings, used when UpstreamSettingsPath
	// is "". Default nil: no upstream.
	Upstream *upstream.Settings
	// UpstreamTimeout bounds one upstream call; a blocking invocation whose
	// upstream does not answer in time gets an error completion. Default
	// 100s (upstream.DefaultTimeout).
	UpstreamTimeout time.Duration
	// ClientTimeout, KeepAliveInterval, LongPollTimeout, QueueMessages and
	// QueueBytes tune the gateway's connections (gateway.Config; zero values
	// mean its defaults). The first two have options (HERALD_CLIENT_TIMEOUT,
	// HERALD_KEEPALIVE_INTERVAL); tests and embedders set the others.
	ClientTimeout     time.Duration
	KeepAliveInterval time.Duration
	LongPollTimeout   time.Duration
	QueueMessages     int
	QueueBytes        int
	// SignalRScript is the @microsoft/signalr browser bundle (a file such
	// as node_modules/@microsoft/signalr/dist/browser/signalr.min.js) that
	// the sample chat page at /samples/chat/ loads from beside itself.
	// Default "": the page loads the pinned bundle from jsDelivr.
	SignalRScript string
	// TLSCertFile and TLSKeyFile are PEM files of a certificate (chain)
	// and its key: when both are set every listener serves HTTPS and WSS
	// (TLS 1.2 or newer) and the URLs and the connection string use
	// https. Default "": plain HTTP (put TLS in front, e.g. a load
	// balancer).
	TLSCertFile string
	TLSKeyFile  string
	// ShutdownTimeout bounds the graceful part of Serve's shutdown.
	// Default 10s.
	ShutdownTimeout time.Duration
	// Registry receives Herald's metrics, served as GET /metrics on the
	// admin listener (and on the main one with PublicMetrics). Mains pass
	// metrics.NewRegistry() (with Go runtime and process metrics).
	// Default: a fresh registry of the Server's own, with Herald's metrics
	// only; never the global default registry.
	Registry *prometheus.Registry
	// Tracer receives connectivity, messaging and HTTP events for the
	// resource logs and the live trace. Mains build it from their flags
	// or environment (diag.Config). Default: a Tracer with every log
	// category off, writing to Logger (the live trace still works).
	Tracer *diag.Tracer
	// PublicMetrics serves GET /metrics on the main listener too, where
	// anyone reaching the endpoint can read it, without hub names
	// (metrics.PublicHandler). Default false: metrics on the admin
	// listener only.
	PublicMetrics bool
	// HTTP are the timeouts and the header limit of every listener (the
	// main one, with or without TLS, and the admin one, whose write
	// timeout is at least 2 minutes for profiles). Zero fields mean their
	// defaults (HTTPLimits).
	HTTP HTTPLimits
	// MaxLiveTraceWatchers is the most live trace streams of the process
	// (livetrace.Config.MaxWatchers): default 16, negative no limit.
	MaxLiveTraceWatchers int
	// GroupLimits bounds the groups of a connection and of a user on the
	// in-memory bus the Server makes when Bus is nil (a Redis bus takes
	// them in its own config). Default: the bus's defaults.
	GroupLimits bus.GroupLimits
	// CORS says which browser origins may call negotiate and the client
	// endpoints cross-origin. Default nil: none (Development's is
	// httpapi.LocalhostCORS, web apps served on localhost, any port).
	CORS *httpapi.CORSPolicy
	// Emulator marks the local development emulator (set by
	// Development): GET / then introduces it as such and shows the
	// development connection string. A production node never sets it.
	Emulator bool
	// TaskMetadataURL, when set, is the ECS task metadata endpoint (v4,
	// ECS_CONTAINER_METADATA_URI_V4): the gateway polls it every
	// TaskMetadataInterval (default 1s) and drains (gateway.Server.Drain)
	// as soon as the task's DesiredStatus is STOPPED, which ECS reports at
	// the start of the target group's deregistration delay, long before
	// SIGTERM. Default "": no polling.
	TaskMetadataURL      string
	TaskMetadataInterval time.Duration
	// AdminAddr, when set, is the address of the admin listener: pprof
	// profiles and /metrics (shared/admin). Keep it private. Default ""
	// (off).
	AdminAddr string

	// DiagPoll is how often a node on Redis reads the deployment's
	// diagnostics switches (docs/diagnostics.md "Switching logs on at
	// runtime"). Default DefaultDiagPoll.
	DiagPoll time.Duration
}
