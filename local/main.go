// Command local runs Herald's local emulator: app negotiate, the data-plane
// REST API and a gateway in one process, on an in-memory bus, like the
// Azure SignalR emulator (port 8888, its well-known AccessKey).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/heraldrt/herald/shared/bus/redisbus"
	"github.com/heraldrt/herald/shared/config"
	"github.com/heraldrt/herald/shared/emulator"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "herald:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "localhost:8888", "listen address host:port (localhost listens on 127.0.0.1 and ::1)")
	key := fs.String("access-key", emulator.DevAccessKey, "AccessKey that signs and verifies tokens")
	appSecret := fs.String("app-secret", "", "require app tokens on /api/negotiate signed with this HS256 secret")
	appJWKS := fs.String("app-jwks", "", "require app tokens on /api/negotiate verified against this JWKS URL")
	claims := fs.String("claims", "", "comma-separated app-token claims copied into access tokens")
	lifetime := fs.Duration("token-lifetime", time.Hour, "lifetime of access tokens issued by /api/negotiate")
	settings := fs.String("config", "", "upstream settings file in the Azure emulator's format (default ./settings.json when present); reloaded on change")
	upTimeout := fs.Duration("upstream-timeout", 100*time.Second, "how long a client invocation waits for the upstream function")
	redisURL := fs.String("redis", "", "run on Redis at this URL (redis://host:port/db) instead of the in-memory bus")
	role := fs.String("role", emulator.RoleAll, "what this process serves: all, gateway (clients) or functions (negotiate and REST); gateway and functions need --redis")
	internalURL := fs.String("internal-url", "", "base URL other gateway nodes forward Server-Sent Events and Long Polling requests for this node's connections to (default: http:// and the listen address)")
	clientURL := fs.String("client-url", "", "base URL negotiate hands to clients (default: the URL negotiate was called on); e.g. a gateway's URL in the functions role")
	nodeTTL := fs.Duration("node-ttl", 0, "with --redis: how long a gateway counts as alive after its last heartbeat (default 15s)")
	heartbeat := fs.Duration("heartbeat", 0, "with --redis: how often a gateway records that it is alive (default 5s)")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	jsonLogs := fs.Bool("log-json", false, "log JSON instead of text")
	if err := fs.Parse(args); err != nil {
		return err
	}
	format := "text"
	if *jsonLogs {
		format = "json"
	}
	logger, err := config.Logger(stderr, *level, format)
	if err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}

	if *settings == "" {
		if _, err := os.Stat("settings.json"); err == nil {
			*settings = "settings.json"
		}
	}
	b, closeBus, err := openBus(redisbus.Config{
		Stateless: *role == emulator.RoleFunctions, NodeTTL: *nodeTTL, HeartbeatInterval: *heartbeat, Logger: logger,
	}, *redisURL)
	if err != nil {
		return err
	}
	defer closeBus()
	srv, err := emulator.New(emulator.Config{
		Bus: b, Role: *role, ClientBase: *clientURL, InternalURL: *internalURL,
		UpstreamSettingsPath: *settings, UpstreamTimeout: *upTimeout,
		Addr: *addr, AccessKeys: []string{*key}, Logger: logger,
		AppSecret: *appSecret, AppJWKSURL: *appJWKS, ClaimAllowList: config.SplitList(*claims),
		TokenLifetime: *lifetime,
	})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	busName := "in-memory bus"
	if *redisURL != "" {
		busName = "Redis " + config.RedactURL(*redisURL)
	}
	fmt.Fprintf(stdout, "Herald local emulator listening on %s (role %s, %s)\n\n", srv.URL(), *role, busName)
	fmt.Fprintf(stdout, "Connection string (REST callers, negotiate functions):\n  %s\n\n", srv.ConnectionString())
	fmt.Fprintf(stdout, "Client URL (give it to withUrl; replace chat with your hub):\n  %s\n\n", srv.ClientURL("chat"))
	if *settings != "" {
		fmt.Fprintf(stdout, "Upstream settings: %s (reloaded when it changes)\n\n", *settings)
	}
	fmt.Fprintln(stdout, "Press Ctrl+C to stop.")
	if err := srv.Serve(ctx); err != nil {
		return err
	}
	logger.Info("stopped")
	return nil
}
