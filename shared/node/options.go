package node

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
	"github.com/heraldrt/herald/shared/config"
	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/upstream"
)

// OpenBus returns the Redis bus o names (REDIS_URL), stateless in the
// functions role, and a function that closes it; nil and a no-op without
// a Redis URL (New then runs its own in-memory bus).
func OpenBus(o config.Node, log *slog.Logger) (bus.Bus, func() error, error) {
	if o.RedisURL == "" {
		return nil, func() error { return nil }, nil
	}
	redisbus.RouteClientLogs(log)
	client, err := redisbus.NewClient(o.RedisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("REDIS_URL (--redis): %w", err)
	}
	b, err := redisbus.New(redisbus.Config{
		Client: client, KeyPrefix: o.RedisPrefix, NodeID: o.NodeID, Logger: log,
		Stateless: o.Role == string(RoleFunctions), NodeTTL: o.NodeTTL, HeartbeatInterval: o.Heartbeat,
		GroupLimits: o.GroupLimits(),
	})
	if err != nil {
		_ = client.Close()
		return nil, nil, fmt.Errorf("REDIS_URL (--redis): %w", err)
	}
	return b, func() error { return errors.Join(b.Close(), client.Close()) }, nil
}

// FromOptions returns the Config of a node configured by o, running on b
// (nil: an in-memory bus), logging to log and registering its metrics in
// registry. A main applies Development to it for the local emulator.
func FromOptions(o config.Node, b bus.Bus, log *slog.Logger, registry *prometheus.Registry) (Config, error) {
	role, err := ParseRole(o.Role)
	if err != nil {
		return Config{}, err
	}
	var cors *httpapi.CORSPolicy
	if len(o.CORSOrigins) > 0 {
		p, err := httpapi.NewCORSPolicy(o.CORSOrigins)
		if err != nil {
			return Config{}, fmt.Errorf("HERALD_CORS_ORIGINS (--cors-origins): %w", err)
		}
		cors = &p
	}
	var fixed *upstream.Settings
	if o.UpstreamURLTemplate != "" && o.UpstreamSettings == "" {
		fixed = &upstream.Settings{Templates: []upstream.Template{{URLTemplate: o.UpstreamURLTemplate}}}
	}
	// Events name the node by o.NodeID, else by its address (New).
	dc := diag.Config{Logger: log, Node: o.NodeID, Connectivity: o.LogConnectivity, Messaging: o.Messaging(), HTTP: o.LogHTTP}
	return Config{
		Role: role, Addr: o.Addr, AccessKeys: o.AccessKeys, Bus: b, Logger: log, Registry: registry,
		ClientBase: o.PublicURL, InternalURL: o.InternalURL,
		UpstreamSettingsPath: o.UpstreamSettings, Upstream: fixed, UpstreamTimeout: o.UpstreamTimeout,
		SignalRScript: o.SignalRScript,
		AppSecret:     o.AppSecret, AppJWKSURL: o.AppJWKSURL, AppAudience: o.AppAudience, AppIssuer: o.AppIssuer,
		ClaimAllowList: o.Claims, TokenLifetime: o.TokenLifetime, MaxBodyBytes: int64(o.MaxBodyBytes), CORS: cors,
		ShutdownTimeout: o.ShutdownTimeout, Gateway: o.GatewayTuning,
		MaxLiveTraceWatchers: config.NoLimitNegative(o.MaxLiveTraceWatchers),
		GroupLimits:          o.GroupLimits(), TLSCertFile: o.TLSCert, TLSKeyFile: o.TLSKey,
		Tracer: diag.New(dc), AdminAddr: o.AdminAddr, PublicMetrics: o.PublicMetrics,
		HTTP:            HTTPLimits(o.HTTP),
		TaskMetadataURL: o.TaskMetadataURL, TaskMetadataInterval: o.TaskMetadataInterval,
		DiagPoll:      o.DiagPoll,
		ClientTimeout: o.ClientTimeout, KeepAliveInterval: o.KeepAliveInterval,
	}, nil
}
