package emulator

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/upstream"
)

// DevAccessKey is the Azure SignalR emulator's well-known AccessKey, used
// when Config.AccessKeys is empty. Never use it outside local development.
const DevAccessKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"

// Roles: what one process serves (Config.Role).
const (
	// RoleAll serves everything: gateway, negotiate and REST.
	RoleAll = "all"
	// RoleGateway serves the client side (/client/...) and health, like a
	// gateway node in AWS.
	RoleGateway = "gateway"
	// RoleFunctions serves the app negotiate endpoint and the REST API,
	// like the Lambda functions in AWS.
	RoleFunctions = "functions"
)

// Config configures a Server. Zero values mean the documented defaults.
type Config struct {
	// Addr is the listen address. Default "localhost:8888", which listens on
	// both 127.0.0.1 and [::1] so "localhost" works whichever address a
	// client resolves it to. Port 0 picks a free port.
	Addr string
	// AccessKeys sign and verify tokens; the first signs. Default
	// [DevAccessKey].
	AccessKeys []string
	// Bus is the bus to run on. Default: a bus.Memory owned (and closed) by
	// the Server.
	Bus bus.Bus
	// Role is what this process serves: RoleAll (default), RoleGateway or
	// RoleFunctions. The last two need Bus (Redis), shared with the other
	// processes.
	Role string
	// ClientBase is the base URL negotiate hands to clients, e.g. the
	// gateway's public URL. Default: derived from each negotiate request
	// (right when one endpoint serves both, as in RoleAll).
	ClientBase string
	// InternalURL is the base URL other gateway nodes reach this one at:
	// they forward Server-Sent Events and Long Polling requests for this
	// node's connections there (gateway.Config.InternalURL). Default:
	// derived from the listener (gateway.DefaultInternalURL), e.g.
	// http://127.0.0.1:8881.
	// InvokeTimeout bounds the wait for a client's result to a REST
	// :invoke (gateway.Config.InvokeTimeout). Default 30s.
	InvokeTimeout time.Duration
	InternalURL   string
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
	// ConnectWindow and MaxMessageBytes tune the gateway (gateway.Config;
	// zero values mean its defaults).
	ConnectWindow   time.Duration
	MaxMessageBytes int
	// ClientTimeout, KeepAliveInterval, LongPollTimeout, QueueMessages and
	// QueueBytes tune the gateway's connections the same way (gateway.Config;
	// zero values mean its defaults).
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
	// MaxConnections, MaxUserConnections and NegotiateRate are the
	// gateway's quotas (gateway.Config), counted through Bus, so they hold
	// across every process of a Redis deployment. Default 0: no quota.
	MaxConnections     int
	MaxUserConnections int
	NegotiateRate      int
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
	// MaxDiagnosticConnections is the gateway's per-node limit of
	// diagnostic clients. Default 100.
	MaxDiagnosticConnections int
	// PublicMetrics serves GET /metrics on the main listener too, where
	// anyone reaching the endpoint can read it, without hub names
	// (metrics.PublicHandler). Default false: metrics on the admin
	// listener only.
	PublicMetrics bool
	// HTTP are the timeouts and the header limit of every listener (the
	// main one, with or without TLS, and the admin one, whose write
	// timeout is at least 2 minutes for profiles). Zero fields mean the
	// Default* constants: headers within 10s, a request within 30s
	// (streams exempt), each write within 30s, an idle keep-alive
	// connection closed after 130s, headers at most 16 KiB.
	HTTP HTTPLimits
	// MaxHubs, MaxAddressConnections and ForwardedHops are the gateway's
	// per-node limits (gateway.Config): default 1000 hubs (negative: no
	// limit), no address limit, the TCP peer as the client address.
	MaxHubs               int
	MaxAddressConnections int
	ForwardedHops         int
	// MaxLiveTraceWatchers is the most live trace streams of the process
	// (livetrace.Config.MaxWatchers): default 16, negative no limit.
	MaxLiveTraceWatchers int
	// GroupLimits bounds the groups of a connection and of a user on the
	// in-memory bus the Server makes when Bus is nil (a Redis bus takes
	// them in its own config). Default: the bus's defaults.
	GroupLimits bus.GroupLimits
	// CORS says which browser origins may call negotiate and the client
	// endpoints cross-origin. Default nil: httpapi.LocalhostCORS (web apps
	// served on localhost, any port), a development default; production
	// mains pass the configured policy (none unless HERALD_CORS_ORIGINS).
	CORS *httpapi.CORSPolicy
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
}
