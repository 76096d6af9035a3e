package config

import (
	"fmt"
	"net/url"
	"time"

	"github.com/heraldrt/herald/shared/connstr"
)

// Gateway is the configuration of the gateway binary (gateway/), read by
// GatewayFromEnv. Each field names its variable and default.
type Gateway struct {
	// Addr is HERALD_ADDR, the listen address. Default ":8080".
	Addr string
	// AccessKeys is HERALD_ACCESS_KEYS, comma-separated; the first signs.
	// When empty, the AccessKey of HERALD_CONNECTION_STRING is used. One of
	// the two is required.
	AccessKeys []string
	// RedisURL is REDIS_URL: one server, redis:// or rediss://
	// (TLS); a Redis Cluster, redis+cluster://host:port[,host:port...] or
	// rediss+cluster:// (see redisbus.NewClient). Default
	// "redis://127.0.0.1:6379/0".
	RedisURL string
	// RedisPrefix is HERALD_REDIS_PREFIX, the prefix of every key and
	// channel. Default "herald".
	RedisPrefix string
	// NodeID is HERALD_NODE_ID. Default: generated at start.
	NodeID string
	// PublicURL is HERALD_PUBLIC_URL, the base URL clients reach this node
	// at (e.g. https://signalr.example.com/). Default: none (negotiate
	// derives the URL from its own request).
	PublicURL string
	// InternalURL is HERALD_INTERNAL_URL, the base URL other gateway nodes
	// reach this node at, for forwarding Server-Sent Events and Long
	// Polling requests to the node holding their connection (no sticky
	// sessions needed), e.g. http://10.0.3.7:8080. Default: http:// and the
	// first non-loopback IPv4 address of the machine with the port of
	// HERALD_ADDR (gateway.DefaultInternalURL).
	InternalURL string
	// UpstreamSettings is HERALD_UPSTREAM_SETTINGS, the path of an upstream
	// settings file in the Azure emulator's format, reloaded on change.
	// Default: none (no upstream).
	UpstreamSettings string
	// UpstreamURLTemplate is HERALD_UPSTREAM_URL_TEMPLATE: one upstream URL
	// template (with {hub}, {category}, {event}) for every event, the
	// usual Functions set-up, e.g.
	// https://app.example/runtime/webhooks/signalr?code=KEY. Ignored when
	// HERALD_UPSTREAM_SETTINGS is set. Default: none.
	UpstreamURLTemplate string
	// ShutdownTimeout is HERALD_SHUTDOWN_TIMEOUT, how long a stopping node
	// drains its clients. Default 25s: below ECS's default 30s stop timeout.
	ShutdownTimeout time.Duration
	// ConnectWindow is HERALD_CONNECT_WINDOW, how long a negotiated
	// connection may take to connect. Default 15s.
	ConnectWindow time.Duration
	// MaxMessageBytes is HERALD_MAX_MESSAGE_BYTES, the largest client
	// message. Default 1048576.
	MaxMessageBytes int
	// MaxConnections is HERALD_MAX_CONNECTIONS, the most concurrent client
	// connections of the whole deployment (counted in Redis). Default 0:
	// no limit.
	MaxConnections int
	// MaxUserConnections is HERALD_MAX_USER_CONNECTIONS, the most
	// concurrent connections of one user in one hub. Default 0: no limit.
	MaxUserConnections int
	// NegotiateRate is HERALD_NEGOTIATE_RATE, the most client negotiates
	// per second of the whole deployment. Default 0: no limit.
	NegotiateRate int
	// TLSCert and TLSKey are HERALD_TLS_CERT and HERALD_TLS_KEY, PEM files
	// of a certificate (chain) and its key: with both the gateway serves
	// HTTPS and WSS itself, TLS 1.2 or newer. Default: plain HTTP (TLS
	// ends at the load balancer).
	TLSCert, TLSKey string
	// CORSOrigins is HERALD_CORS_ORIGINS, the comma-separated browser
	// origins (https://app.example.com) allowed to call the client
	// endpoints cross-origin with credentials, or "*" for every origin
	// without credentials. Default: none.
	CORSOrigins []string
	// MetricsEMF is HERALD_METRICS_EMF: write the herald_* gauges and
	// counters every MetricsEMFInterval as one CloudWatch Embedded Metric
	// Format JSON line on stdout (namespace Herald, dimension Service).
	// Default false.
	MetricsEMF bool
	// MetricsEMFInterval is HERALD_METRICS_EMF_INTERVAL. Default 60s.
	MetricsEMFInterval time.Duration
	// TaskMetadataURL is ECS_CONTAINER_METADATA_URI_V4, set by ECS: the
	// gateway polls its /task every TaskMetadataInterval and drains its
	// clients as soon as the task's DesiredStatus is STOPPED (at the start
	// of the load balancer's deregistration delay). Default: none (no
	// polling outside ECS).
	TaskMetadataURL string
	// TaskMetadataInterval is HERALD_TASK_METADATA_INTERVAL, the time
	// between two polls of the task metadata endpoint. Default 1s.
	TaskMetadataInterval time.Duration
	// LogLevel is HERALD_LOG_LEVEL: debug, info, warn or error. Default info.
	LogLevel string
	// LogFormat is HERALD_LOG_FORMAT: json or text. Default json.
	LogFormat string
}

// GatewayFromEnv reads the gateway's variables. Every problem is an error
// wrapping ErrInvalid that names the variable.
func GatewayFromEnv(get Getenv) (Gateway, error) {
	r := &reader{get: get}
	g := Gateway{
		Addr:                 r.str("HERALD_ADDR", ":8080"),
		AccessKeys:           r.list("HERALD_ACCESS_KEYS"),
		RedisURL:             r.secretURL("REDIS_URL", "redis://127.0.0.1:6379/0"),
		RedisPrefix:          r.str("HERALD_REDIS_PREFIX", "herald"),
		NodeID:               r.str("HERALD_NODE_ID", ""),
		PublicURL:            r.str("HERALD_PUBLIC_URL", ""),
		InternalURL:          r.str("HERALD_INTERNAL_URL", ""),
		UpstreamSettings:     r.str("HERALD_UPSTREAM_SETTINGS", ""),
		UpstreamURLTemplate:  r.str("HERALD_UPSTREAM_URL_TEMPLATE", ""),
		ShutdownTimeout:      r.duration("HERALD_SHUTDOWN_TIMEOUT", 25*time.Second),
		ConnectWindow:        r.duration("HERALD_CONNECT_WINDOW", 15*time.Second),
		MaxMessageBytes:      r.integer("HERALD_MAX_MESSAGE_BYTES", 1<<20),
		MaxConnections:       r.count("HERALD_MAX_CONNECTIONS"),
		MaxUserConnections:   r.count("HERALD_MAX_USER_CONNECTIONS"),
		NegotiateRate:        r.count("HERALD_NEGOTIATE_RATE"),
		TLSCert:              r.str("HERALD_TLS_CERT", ""),
		TLSKey:               r.str("HERALD_TLS_KEY", ""),
		CORSOrigins:          r.corsOrigins("HERALD_CORS_ORIGINS"),
		MetricsEMF:           r.boolean("HERALD_METRICS_EMF"),
		MetricsEMFInterval:   r.duration("HERALD_METRICS_EMF_INTERVAL", time.Minute),
		TaskMetadataURL:      r.str("ECS_CONTAINER_METADATA_URI_V4", ""),
		TaskMetadataInterval: r.duration("HERALD_TASK_METADATA_INTERVAL", time.Second),
		LogLevel:             r.str("HERALD_LOG_LEVEL", "info"),
		LogFormat:            r.str("HERALD_LOG_FORMAT", "json"),
	}
	if len(g.AccessKeys) == 0 {
		if cs := r.str("HERALD_CONNECTION_STRING", ""); cs != "" {
			parsed, err := connstr.Parse(cs)
			if err != nil {
				r.fail("HERALD_CONNECTION_STRING", err)
			} else {
				g.AccessKeys = []string{parsed.AccessKey}
			}
		}
	}
	if len(g.AccessKeys) == 0 && r.err == nil {
		r.fail("HERALD_ACCESS_KEYS", fmt.Errorf("set it (or HERALD_CONNECTION_STRING) to the AccessKey clients' tokens are signed with"))
	}
	if (g.TLSCert == "") != (g.TLSKey == "") {
		r.fail("HERALD_TLS_CERT", fmt.Errorf("set both HERALD_TLS_CERT and HERALD_TLS_KEY, or neither"))
	}
	for name, v := range map[string]string{"HERALD_PUBLIC_URL": g.PublicURL, "HERALD_INTERNAL_URL": g.InternalURL} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			r.fail(name, fmt.Errorf("%q is not an absolute http(s) URL", v))
		}
	}
	return g, r.err
}
