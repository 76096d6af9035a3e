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

	"github.com/heraldrt/herald/shared/buildinfo"
	"github.com/heraldrt/herald/shared/bus/redisbus"
	"github.com/heraldrt/herald/shared/config"
	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/emulator"
	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/metrics"
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
	if len(args) > 0 && args[0] == "token" {
		return runToken(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "localhost:8888", "listen address host:port (localhost listens on 127.0.0.1 and ::1)")
	key := fs.String("access-key", emulator.DevAccessKey, "AccessKey that signs and verifies tokens")
	appSecret := fs.String("app-secret", "", "require app tokens on /api/negotiate signed with this HS256 secret")
	appAudience := fs.String("app-audience", "", "with --app-secret or --app-jwks: an app token's aud must include this")
	appIssuer := fs.String("app-issuer", "", "with --app-secret or --app-jwks: an app token's iss must equal this")
	appJWKS := fs.String("app-jwks", "", "require app tokens on /api/negotiate verified against this JWKS URL")
	claims := fs.String("claims", "", "comma-separated app-token claims copied into access tokens")
	lifetime := fs.Duration("token-lifetime", time.Hour, "lifetime of access tokens issued by /api/negotiate")
	settings := fs.String("config", "", "upstream settings file in the Azure emulator's format (default ./settings.json when present); reloaded on change")
	upTimeout := fs.Duration("upstream-timeout", 100*time.Second, "how long a client invocation waits for the upstream function")
	redisURL := fs.String("redis", "", "run on Redis at this URL (redis://host:port/db; a Redis Cluster: redis+cluster://host:port,host:port) instead of the in-memory bus")
	role := fs.String("role", emulator.RoleAll, "what this process serves: all, gateway (clients) or functions (negotiate and REST); gateway and functions need --redis")
	internalURL := fs.String("internal-url", "", "base URL other gateway nodes forward Server-Sent Events and Long Polling requests for this node's connections to (default: http:// and the listen address)")
	clientURL := fs.String("client-url", "", "base URL negotiate hands to clients (default: the URL negotiate was called on); e.g. a gateway's URL in the functions role")
	nodeTTL := fs.Duration("node-ttl", 0, "with --redis: how long a gateway counts as alive after its last heartbeat (default 15s)")
	heartbeat := fs.Duration("heartbeat", 0, "with --redis: how often a gateway records that it is alive (default 5s)")
	signalrJS := fs.String("signalr-js", "", "@microsoft/signalr browser bundle served to the sample chat page (default "+samples.DefaultSignalRScript+" when present, else the page loads it from jsDelivr)")
	maxConns := fs.Int("max-connections", 0, "most concurrent client connections (all hubs; across nodes with --redis); 0: no limit")
	maxUserConns := fs.Int("max-user-connections", 0, "most concurrent connections of one user in one hub; 0: no limit")
	negotiateRate := fs.Int("negotiate-rate", 0, "most client negotiates per second (across nodes with --redis); 0: no limit")
	maxHubs := fs.Int("max-hubs", 1000, "most hubs a gateway node holds connections in; a connect to one more gets 429; 0: no limit")
	maxAddrConns := fs.Int("max-address-connections", 0, "most connections of one client address on a gateway node; 0: no limit")
	fwdHops := fs.Int("forwarded-hops", 0, "trusted proxies in front appending to X-Forwarded-For: the client address is this many entries from its right; 0: the TCP peer")
	maxWatchers := fs.Int("max-livetrace-watchers", 16, "most live trace streams; 0: no limit")
	maxConnGroups := fs.Int("max-connection-groups", 1000, "most groups of one connection; a join beyond answers 409; 0: no limit")
	maxUserGroups := fs.Int("max-user-groups", 1000, "most recorded group memberships of one user in a hub; 0: no limit")
	maxMessage := fs.Int("max-message-bytes", 1<<20, "largest client message; a larger one closes that connection")
	shutdown := fs.Duration("shutdown-timeout", 10*time.Second, "on SIGTERM or Ctrl+C: how long clients get to drain before the process exits")
	tlsCert := fs.String("tls-cert", "", "serve HTTPS and WSS with this PEM certificate (chain); needs --tls-key")
	tlsKey := fs.String("tls-key", "", "PEM private key of --tls-cert")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	jsonLogs := fs.Bool("log-json", false, "log JSON instead of text")
	logConn := fs.Bool("log-connectivity", false, "resource logs: ConnectionStarted, ConnectionEnded, ConnectionAborted (with the reason)")
	logMsg := fs.String("log-messaging", "off", "resource logs of messages with their tracing id: off, all, or diagnostic (diagnostic clients only)")
	logHTTP := fs.Bool("log-http", false, "resource logs: every HTTP request")
	readHeaderTimeout := fs.Duration("http-read-header-timeout", emulator.DefaultReadHeaderTimeout, "every listener: how long a client may take to send a request's headers")
	readTimeout := fs.Duration("http-read-timeout", emulator.DefaultReadTimeout, "every listener: how long a client may take to send a whole request (streams exempt)")
	writeTimeout := fs.Duration("http-write-timeout", emulator.DefaultWriteTimeout, "every listener: how long writing a response may take (on a stream: each write)")
	idleTimeout := fs.Duration("http-idle-timeout", emulator.DefaultIdleTimeout, "every listener: how long a keep-alive connection may wait for its next request")
	maxHeaderBytes := fs.Int("http-max-header-bytes", emulator.DefaultMaxHeaderBytes, "every listener: the largest request header block")
	publicMetrics := fs.Bool("public-metrics", false, "serve /metrics on the main listener too, without hub names (default: admin listener only)")
	corsOrigins := fs.String("cors-origins", "", "comma-separated browser origins (https://app.example.com) allowed to call negotiate and the client endpoints cross-origin, or * for every origin without credentials (default: any origin on localhost, 127.0.0.1 or [::1])")
	adminAddr := fs.String("admin-addr", "", "admin listener for pprof and /metrics, e.g. 127.0.0.1:6060 (default off)")
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

	msgMode, err := diag.ParseMessagingMode(*logMsg)
	if err != nil {
		return fmt.Errorf("--log-messaging: %w", err)
	}
	tracer := diag.New(diag.Config{Logger: logger, Connectivity: *logConn, Messaging: msgMode, HTTP: *logHTTP})

	if *settings == "" {
		if _, err := os.Stat("settings.json"); err == nil {
			*settings = "settings.json"
		}
	}
	if *signalrJS == "" {
		if _, err := os.Stat(samples.DefaultSignalRScript); err == nil {
			*signalrJS = samples.DefaultSignalRScript
		}
	}
	for name, v := range map[string]int{"max-hubs": *maxHubs, "max-address-connections": *maxAddrConns, "forwarded-hops": *fwdHops,
		"max-livetrace-watchers": *maxWatchers, "max-connection-groups": *maxConnGroups, "max-user-groups": *maxUserGroups} {
		if v < 0 {
			return fmt.Errorf("--%s: %d is negative (0: no limit)", name, v)
		}
	}
	groupLimits := config.Limits{MaxConnectionGroups: *maxConnGroups, MaxUserGroups: *maxUserGroups}.GroupLimits()
	var cors *httpapi.CORSPolicy
	if *corsOrigins != "" {
		p, err := httpapi.NewCORSPolicy(config.SplitList(*corsOrigins))
		if err != nil {
			return fmt.Errorf("--cors-origins: %w", err)
		}
		cors = &p
	}
	b, closeBus, err := openBus(redisbus.Config{
		Stateless: *role == emulator.RoleFunctions, NodeTTL: *nodeTTL, HeartbeatInterval: *heartbeat, Logger: logger,
		GroupLimits: groupLimits,
	}, *redisURL)
	if err != nil {
		return err
	}
	defer closeBus()
	srv, err := emulator.New(emulator.Config{
		Bus: b, Role: *role, ClientBase: *clientURL, InternalURL: *internalURL,
		UpstreamSettingsPath: *settings, UpstreamTimeout: *upTimeout,
		Addr: *addr, AccessKeys: []string{*key}, Logger: logger,
		AppSecret: *appSecret, AppJWKSURL: *appJWKS, AppAudience: *appAudience, AppIssuer: *appIssuer, ClaimAllowList: config.SplitList(*claims),
		SignalRScript: *signalrJS, Registry: metrics.NewRegistry(),
		Tracer: tracer, AdminAddr: *adminAddr, PublicMetrics: *publicMetrics, CORS: cors,
		TokenLifetime:   *lifetime,
		MaxMessageBytes: *maxMessage,
		TLSCertFile:     *tlsCert, TLSKeyFile: *tlsKey,
		ShutdownTimeout: *shutdown,
		MaxConnections:  *maxConns, MaxUserConnections: *maxUserConns, NegotiateRate: *negotiateRate,
		HTTP: emulator.HTTPLimits{
			ReadHeaderTimeout: *readHeaderTimeout, ReadTimeout: *readTimeout,
			WriteTimeout: *writeTimeout, IdleTimeout: *idleTimeout, MaxHeaderBytes: *maxHeaderBytes,
		},
		MaxHubs: config.NoLimitNegative(*maxHubs), MaxAddressConnections: *maxAddrConns, ForwardedHops: *fwdHops,
		MaxLiveTraceWatchers: config.NoLimitNegative(*maxWatchers), GroupLimits: groupLimits,
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
	if *role != emulator.RoleGateway {
		fmt.Fprintf(stdout, "Sample chat page (its Send needs the sample chat hub as upstream: `make sample` runs both):\n  %s\n\n", srv.SampleChatURL())
	}
	if *settings != "" {
		fmt.Fprintf(stdout, "Upstream settings: %s (reloaded when it changes)\n\n", *settings)
	}
	live := srv.URL() + "/livetrace/ (paste the AccessKey)"
	if *key == emulator.DevAccessKey {
		if u, err := srv.LiveTraceURL(24 * time.Hour); err == nil {
			live = u
		}
	}
	fmt.Fprintf(stdout, "Live trace (connections, messages, HTTP requests as they happen):\n  %s\n\n", live)
	if a := srv.AdminURL(); a != "" {
		fmt.Fprintf(stdout, "Admin listener (pprof, metrics): %s\n\n", a)
	}
	fmt.Fprintln(stdout, "Press Ctrl+C to stop.")
	if err := srv.Serve(ctx); err != nil {
		return err
	}
	logger.Info("stopped")
	return nil
}
