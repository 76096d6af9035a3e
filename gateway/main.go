// Command gateway is a Herald gateway node for production: it holds client
// connections (/client/...) and answers health checks (/livez for liveness,
// /readyz and /api/health for readiness), with every node and the
// stateless functions sharing state through Redis. It is configured by
// environment variables, flags and an optional options file
// (docs/configuration.md, shared/config Node with its production
// defaults); SIGTERM drains it: clients are closed with "Service
// reloading, try reconnecting" (allowReconnect) within
// HERALD_SHUTDOWN_TIMEOUT. On ECS the same drain starts earlier, as soon
// as the task metadata endpoint reports the task's DesiredStatus as
// STOPPED.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/heraldrt/herald/shared/config"
	"github.com/heraldrt/herald/shared/metrics"
	"github.com/heraldrt/herald/shared/node"
)

// version is stamped at build time: -ldflags "-X main.version=1.2.3"
// (make image, make build and the Dockerfile do).
var version = "dev"

func main() {
	if len(os.Args) == 2 && (os.Args[1] == "--version" || os.Args[1] == "-version") {
		fmt.Println("herald-gateway", version)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Environ(), os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "herald gateway:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done, configured by args and environ, logging
// to stderr.
func run(ctx context.Context, args, environ []string, stderr io.Writer) (err error) {
	var opts config.Node
	res, err := config.Load(&opts, config.Production, config.Sources{Name: "gateway", Args: args, Environ: environ, Output: stderr})
	if err != nil {
		return err
	}
	if len(res.Args) > 0 {
		return fmt.Errorf("unexpected arguments %q: settings are flags, variables or an options file (docs/configuration.md); --version prints the version", res.Args)
	}
	log, err := config.Logger(stderr, opts.LogLevel, opts.LogFormat)
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		log.Warn("configuration", "warning", w)
	}
	b, closeBus, err := node.OpenBus(opts, log)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, closeBus()) }()
	if n, ok := b.(interface{ NodeID() string }); ok {
		opts.NodeID = n.NodeID() // generated when not configured: names the node in events
	}
	registry := metrics.NewRegistry()
	cfg, err := node.FromOptions(opts, b, log, registry)
	if err != nil {
		return err
	}
	srv, err := node.New(cfg)
	if err != nil {
		return err
	}
	if opts.MetricsEMF {
		emf, err := metrics.NewEMFExporter(metrics.EMFConfig{Gatherer: registry, Writer: os.Stdout,
			Dimensions: map[string]string{"Service": "gateway"}, Interval: opts.MetricsEMFInterval, Logger: log})
		if err != nil {
			return err
		}
		emfCtx, stopEMF := context.WithCancel(context.Background())
		emfDone := make(chan struct{})
		go func() { defer close(emfDone); emf.Run(emfCtx) }()
		defer func() { stopEMF(); <-emfDone }() // after Serve: the last flush has the drain
	}
	log.Info("gateway listening", "version", version, "role", opts.Role, "addr", opts.Addr, "url", srv.URL(), "node", opts.NodeID, "redis", config.RedactURL(opts.RedisURL))
	err = srv.Serve(ctx)
	log.Info("gateway stopped", "err", err)
	return err
}
