// Command local runs Herald's local emulator: app negotiate, the data-plane
// REST API and a gateway in one process, on an in-memory bus, like the
// Azure SignalR emulator (port 8888, its well-known AccessKey). It is a
// node (shared/node) with the development defaults of config.Node; flags,
// variables and an options file configure it as they do the gateway
// (docs/configuration.md).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/heraldrt/herald/shared/buildinfo"
	"github.com/heraldrt/herald/shared/config"
	"github.com/heraldrt/herald/shared/metrics"
	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/shared/samples"
)

func main() {
	if buildinfo.PrintVersion("herald", os.Args[1:], os.Stdout) {
		return
	}
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "herald:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runWith(ctx, args, os.Environ(), stdout, stderr)
}

// runWith runs the emulator with args and the environment environ until
// ctx is done.
func runWith(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "token" {
		return runToken(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "diag" {
		return runDiag(ctx, args[1:], environ, stdout, stderr)
	}
	var opts config.Node
	res, err := config.Load(&opts, config.Development, config.Sources{Name: "local", Args: args, Environ: environ, Output: stderr})
	if err != nil {
		return err
	}
	if len(res.Args) > 0 {
		return fmt.Errorf("unexpected arguments %q (docs/configuration.md lists the flags)", res.Args)
	}
	logger, err := config.Logger(stderr, opts.LogLevel, opts.LogFormat)
	if err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	for _, w := range res.Warnings {
		logger.Warn("configuration", "warning", w)
	}
	if opts.UpstreamSettings == "" && opts.UpstreamURLTemplate == "" {
		if _, err := os.Stat("settings.json"); err == nil {
			opts.UpstreamSettings = "settings.json"
		}
	}
	if opts.SignalRScript == "" {
		if _, err := os.Stat(samples.DefaultSignalRScript); err == nil {
			opts.SignalRScript = samples.DefaultSignalRScript
		}
	}
	b, closeBus, err := node.OpenBus(opts, logger)
	if err != nil {
		return err
	}
	defer func() {
		if err := closeBus(); err != nil {
			logger.Warn("close bus", "err", err)
		}
	}()
	cfg, err := node.FromOptions(opts, b, logger, metrics.NewRegistry())
	if err != nil {
		return err
	}
	srv, err := node.New(node.Development(cfg))
	if err != nil {
		return err
	}
	printBanner(stdout, srv, opts)
	if err := srv.Serve(ctx); err != nil {
		return err
	}
	logger.Info("stopped")
	return nil
}

// printBanner prints what a developer needs to connect.
func printBanner(stdout io.Writer, srv *node.Server, opts config.Node) {
	busName := "in-memory bus"
	if opts.RedisURL != "" {
		busName = "Redis " + config.RedactURL(opts.RedisURL)
	}
	fmt.Fprintf(stdout, "Herald local emulator listening on %s (role %s, %s)\n\n", srv.URL(), opts.Role, busName)
	fmt.Fprintf(stdout, "Connection string (REST callers, negotiate functions):\n  %s\n\n", srv.ConnectionString())
	fmt.Fprintf(stdout, "Client URL (give it to withUrl; replace chat with your hub):\n  %s\n\n", srv.ClientURL("chat"))
	if opts.Role != string(node.RoleGateway) {
		fmt.Fprintf(stdout, "Sample chat page (its Send needs the sample chat hub as upstream: `make sample` runs both):\n  %s\n\n", srv.SampleChatURL())
	}
	if opts.UpstreamSettings != "" {
		fmt.Fprintf(stdout, "Upstream settings: %s (reloaded when it changes)\n\n", opts.UpstreamSettings)
	}
	live := srv.URL() + "/livetrace/ (paste the AccessKey)"
	if opts.AccessKeys[0] == node.DevAccessKey {
		if u, err := srv.LiveTraceURL(24 * time.Hour); err == nil {
			live = u
		}
	}
	fmt.Fprintf(stdout, "Live trace (connections, messages, HTTP requests as they happen):\n  %s\n\n", live)
	if a := srv.AdminURL(); a != "" {
		fmt.Fprintf(stdout, "Admin listener (pprof, metrics): %s\n\n", a)
	}
	fmt.Fprintln(stdout, "Press Ctrl+C to stop.")
}
