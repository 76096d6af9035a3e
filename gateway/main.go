// Command gateway is a Herald gateway node for production: it holds client
// connections (/client/...) and answers health checks (/livez for liveness,
// /readyz and /api/health for readiness), with
// every node and the stateless functions sharing state through Redis. It is
// configured by environment variables, listed in shared/config (and the
// README); SIGTERM drains it: clients are closed with "Service reloading,
// try reconnecting" (allowReconnect) within HERALD_SHUTDOWN_TIMEOUT. On ECS
// the same drain starts earlier, as soon as the task metadata endpoint
// reports the task's DesiredStatus as STOPPED.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/heraldrt/herald/shared/bus/redisbus"
	"github.com/heraldrt/herald/shared/config"
	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/metrics"
	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/shared/upstream"
)

// version is stamped at build time: -ldflags "-X main.version=1.2.3"
// (make image, make build and the Dockerfile do).
var version = "dev"

func main() {
	switch {
	case len(os.Args) == 2 && (os.Args[1] == "--version" || os.Args[1] == "-version"):
		fmt.Println("herald-gateway", version)
		return
	case len(os.Args) > 1:
		fmt.Fprintln(os.Stderr, "herald gateway: no arguments: it is configured by environment variables (README, shared/config); --version prints the version")
		os.Exit(2)
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "herald gateway:", err)
		os.Exit(1)
	}
}

func run() (err error) {
	cfg, err := config.GatewayFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	dcfg, err := config.DiagnosticsFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	hcfg, err := config.HTTPFromEnv(os.Getenv)
	lim, err := config.LimitsFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	log, err := config.Logger(os.Stderr, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return err
	}
	redisbus.RouteClientLogs(log)
	client, err := redisbus.NewClient(cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	defer func() { err = errors.Join(err, client.Close()) }()
	b, err := redisbus.New(redisbus.Config{Client: client, KeyPrefix: cfg.RedisPrefix, NodeID: cfg.NodeID, Logger: log,
		GroupLimits: lim.GroupLimits()})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, b.Close()) }()
	cors, err := httpapi.NewCORSPolicy(cfg.CORSOrigins)
	if err != nil {
		return fmt.Errorf("HERALD_CORS_ORIGINS: %w", err)
	}
	var fixed *upstream.Settings
	if cfg.UpstreamURLTemplate != "" && cfg.UpstreamSettings == "" {
		fixed = &upstream.Settings{Templates: []upstream.Template{{URLTemplate: cfg.UpstreamURLTemplate}}}
	}
	registry := metrics.NewRegistry()
	srv, err := node.New(node.Config{
		Upstream: fixed,
		Addr:     cfg.Addr, AccessKeys: cfg.AccessKeys, Bus: b, Role: node.RoleGateway, Logger: log,
		InternalURL:          cfg.InternalURL,
		UpstreamSettingsPath: cfg.UpstreamSettings, ConnectWindow: cfg.ConnectWindow,
		MaxMessageBytes: cfg.MaxMessageBytes, ShutdownTimeout: cfg.ShutdownTimeout,
		Registry: registry, AdminAddr: dcfg.AdminAddr, PublicMetrics: dcfg.PublicMetrics,
		MaxDiagnosticConnections: dcfg.MaxDiagnosticConnections,
		Tracer: diag.New(diag.Config{Logger: log, Node: b.NodeID(),
			Connectivity: dcfg.LogConnectivity, Messaging: dcfg.LogMessaging, HTTP: dcfg.LogHTTP}),
		MaxConnections: cfg.MaxConnections, MaxUserConnections: cfg.MaxUserConnections,
		NegotiateRate: cfg.NegotiateRate, TLSCertFile: cfg.TLSCert, TLSKeyFile: cfg.TLSKey,
		HTTP: node.HTTPLimits{
			ReadHeaderTimeout: hcfg.ReadHeaderTimeout, ReadTimeout: hcfg.ReadTimeout,
			WriteTimeout: hcfg.WriteTimeout, IdleTimeout: hcfg.IdleTimeout, MaxHeaderBytes: hcfg.MaxHeaderBytes,
		},
		MaxHubs: config.NoLimitNegative(lim.MaxHubs), MaxAddressConnections: lim.MaxAddressConnections,
		ForwardedHops: lim.ForwardedHops, MaxLiveTraceWatchers: config.NoLimitNegative(lim.MaxLiveTraceWatchers),
		CORS:            &cors,
		TaskMetadataURL: cfg.TaskMetadataURL, TaskMetadataInterval: cfg.TaskMetadataInterval,
	})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.MetricsEMF {
		emf, err := metrics.NewEMFExporter(metrics.EMFConfig{Gatherer: registry, Writer: os.Stdout,
			Dimensions: map[string]string{"Service": "gateway"}, Interval: cfg.MetricsEMFInterval, Logger: log})
		if err != nil {
			return err
		}
		emfCtx, stopEMF := context.WithCancel(context.Background())
		emfDone := make(chan struct{})
		go func() { defer close(emfDone); emf.Run(emfCtx) }()
		defer func() { stopEMF(); <-emfDone }() // after Serve: the last flush has the drain
	}
	log.Info("gateway listening", "version", version, "addr", cfg.Addr, "url", srv.URL(), "node", b.NodeID(), "redis", config.RedactURL(cfg.RedisURL))
	err = srv.Serve(ctx)
	log.Info("gateway stopped", "err", err)
	return err
}
