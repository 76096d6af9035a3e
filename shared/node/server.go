package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/connstr"
	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/functions"
	"github.com/heraldrt/herald/shared/gateway"
	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/livetrace"
	"github.com/heraldrt/herald/shared/metrics"
	"github.com/heraldrt/herald/shared/samples"
	"github.com/heraldrt/herald/shared/taskmeta"
	"github.com/heraldrt/herald/shared/upstream"
)

// Server is a running node: listeners bound, ready to Serve.
type Server struct {
	cfg     Config
	log     *slog.Logger
	lns     []net.Listener
	port    int
	host    string // host for URLs and the connection string
	bus     bus.Bus
	ownsBus bool
	gw      *gateway.Server
	http    *http.Server
	cs      connstr.ConnectionString
	tls     *tls.Config // nil: plain HTTP

	metrics  *metrics.Metrics
	live     *livetrace.Server
	admin    *http.Server // nil without AdminAddr
	adminLn  net.Listener
	upstream *upstream.Client // nil without UpstreamSettingsPath
	settings atomic.Pointer[upstream.Settings]
	switches *switcher // the tracer's switches at runtime (diagswitch.go)
}

// New binds the listeners and wires negotiate, REST and gateway on one mux.
func New(cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		return nil, errors.New("node: Config.Addr is required (Development's is " + DevAddr + ")")
	}
	if len(cfg.AccessKeys) == 0 {
		return nil, errors.New("node: Config.AccessKeys is required (Development's is DevAccessKey)")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Role == "" {
		cfg.Role = RoleAll
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	cfg.HTTP = cfg.HTTP.withDefaults()
	if cfg.CORS == nil {
		cfg.CORS = &httpapi.CORSPolicy{} // no cross-origin calls
	}
	if _, err := ParseRole(string(cfg.Role)); err != nil {
		return nil, err
	}
	tc, err := tlsConfig(cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, tls: tc}
	if err := s.listen(cfg.Addr); err != nil {
		return nil, err
	}
	if tc != nil {
		s.wrapTLS(tc)
	}
	if err := s.listenAdmin(); err != nil {
		s.closeListeners()
		return nil, err
	}
	if err := s.wire(); err != nil {
		s.closeListeners()
		if s.ownsBus {
			_ = s.bus.Close()
		}
		return nil, err
	}
	return s, nil
}

// listenConfig makes the listeners: without TCP keep-alive probes, which
// Go would otherwise switch on and tune with four setsockopt calls for every
// accepted connection. Nothing needs them: a client connection is watched
// by the SignalR keep-alive and client timeout, and every HTTP connection
// by the server's idle and read timeouts.
var listenConfig = net.ListenConfig{KeepAlive: -1}

// listen binds addr; "localhost" binds both loopback addresses on one port.
func (s *Server) listen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("node: listen address %q: %w", addr, err)
	}
	first := host
	if host == "localhost" {
		first = "127.0.0.1"
	}
	ln, err := listenConfig.Listen(context.Background(), "tcp", net.JoinHostPort(first, port))
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	s.lns = append(s.lns, ln)
	s.port = ln.Addr().(*net.TCPAddr).Port
	if host == "localhost" {
		// Best effort: machines without IPv6 loopback still serve on 127.0.0.1.
		if ln6, err := listenConfig.Listen(context.Background(), "tcp", net.JoinHostPort("::1", strconv.Itoa(s.port))); err == nil {
			s.lns = append(s.lns, ln6)
		}
	}
	switch ip := net.ParseIP(host); {
	case host == "localhost", host == "", ip != nil && ip.IsUnspecified():
		s.host = "localhost"
	default:
		s.host = host // an explicit address is what clients must use
	}
	return nil
}

func (s *Server) wire() error {
	cfg := s.cfg
	endpoint := &url.URL{Scheme: s.scheme(), Host: s.host}
	s.cs = connstr.ConnectionString{Endpoint: endpoint, AccessKey: cfg.AccessKeys[0], Version: "1.0", Port: s.port}
	if cfg.Role != RoleAll && cfg.Bus == nil {
		return fmt.Errorf("node: role %q needs a shared bus (Redis): the other roles run in other processes", cfg.Role)
	}
	s.bus = cfg.Bus
	if s.bus == nil {
		s.bus, s.ownsBus = bus.NewMemory(bus.MemoryConfig{Logger: s.log, GroupLimits: cfg.GroupLimits}), true
	}
	m, err := metrics.New(cfg.Registry)
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	s.metrics = m
	if cfg.Tracer == nil {
		s.cfg.Tracer = diag.New(diag.Config{Logger: s.log})
		cfg.Tracer = s.cfg.Tracer
	}
	cfg.Tracer.SetDefaultNode(s.host + ":" + strconv.Itoa(s.port))
	if err := s.wireSwitches(); err != nil {
		return err
	}
	mux := http.NewServeMux()
	if cfg.PublicMetrics {
		// Without hub names: the admin listener serves those.
		mux.Handle("GET /metrics", metrics.PublicHandler(cfg.Registry))
	}
	if err := s.wireLiveTrace(mux); err != nil {
		return err
	}
	if cfg.Role != RoleFunctions {
		if err := s.wireGateway(mux); err != nil {
			return err
		}
	}
	if cfg.Role != RoleGateway {
		if err := s.wireFunctions(mux); err != nil {
			return err
		}
	} else {
		mux.Handle("/api/", httpapi.Health(s.bus, s.healthChecks()...))
	}
	probes := httpapi.Probes(s.bus, s.healthChecks()...)
	mux.Handle(httpapi.LivezPath, probes)
	mux.Handle(httpapi.ReadyzPath, probes)
	mux.HandleFunc("/{$}", s.home)
	for _, p := range httpapi.UnsupportedModePaths {
		mux.Handle(p, httpapi.UnsupportedModes())
	}
	s.http = &http.Server{
		Handler:  streamDeadlines(diag.Middleware(cfg.Tracer, mux), cfg.HTTP.WriteTimeout),
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	cfg.HTTP.apply(s.http)
	return nil
}

// wireGateway serves the client side: /client/negotiate and the transports.
func (s *Server) wireGateway(mux *http.ServeMux) error {
	cfg := s.cfg
	if cfg.UpstreamSettingsPath != "" || cfg.Upstream != nil {
		if cfg.Upstream != nil {
			if err := cfg.Upstream.Validate(); err != nil {
				return fmt.Errorf("node: upstream settings: %w", err)
			}
			s.settings.Store(cfg.Upstream)
		} else {
			s.settings.Store(&upstream.Settings{})
		}
		s.upstream = upstream.New(upstream.Config{
			Settings:   func() upstream.Settings { return *s.settings.Load() },
			AccessKeys: cfg.AccessKeys,
			Timeout:    cfg.UpstreamTimeout,
			Logger:     s.log,
			Observe:    s.metrics.Upstream,
			Tracer:     cfg.Tracer,
		})
	}
	gb, ok := s.bus.(gateway.Bus)
	if !ok {
		return errors.New("node: the bus cannot hold connections (a stateless bus serves the functions role only)")
	}
	internal := cfg.InternalURL
	if internal == "" {
		internal = gateway.DefaultInternalURL(s.lns[0].Addr())
	}
	gw, err := gateway.New(gateway.Config{
		Keys: cfg.AccessKeys, Bus: gb, Logger: s.log, Upstream: s.upstream,
		Metrics: s.metrics, Tracer: cfg.Tracer, InternalURL: internal,
		GatewayTuning: cfg.Gateway,
		ClientTimeout: cfg.ClientTimeout, KeepAliveInterval: cfg.KeepAliveInterval,
		LongPollTimeout: cfg.LongPollTimeout, QueueMessages: cfg.QueueMessages, QueueBytes: cfg.QueueBytes,
	})
	if err != nil {
		return err
	}
	s.gw = gw
	mux.Handle("/client/", cfg.CORS.Wrap(gw))
	mux.Handle("/client", cfg.CORS.Wrap(gw))
	return nil
}

// wireFunctions serves what the stateless functions serve in AWS: the app
// negotiate endpoint and the REST API.
func (s *Server) wireFunctions(mux *http.ServeMux) error {
	cfg := s.cfg
	f, err := functions.New(functions.Config{
		Bus: s.bus, ConnectionString: s.cs, AccessKeys: cfg.AccessKeys, ClientBase: cfg.ClientBase,
		AppSecret: cfg.AppSecret, AppJWKSURL: cfg.AppJWKSURL, AppAudience: cfg.AppAudience, AppIssuer: cfg.AppIssuer,
		ClaimAllowList: cfg.ClaimAllowList,
		TokenLifetime:  cfg.TokenLifetime, Logger: s.log,
		HealthChecks: s.healthChecks(), Metrics: s.metrics, Tracer: cfg.Tracer, CORS: *cfg.CORS,
		MaxBodyBytes: cfg.MaxBodyBytes, ForwardedHops: cfg.Gateway.ForwardedHops,
	})
	if err != nil {
		return err
	}
	f.Mount(mux)
	mux.Handle(samples.Prefix, samples.Handler(samples.Config{SignalRScript: cfg.SignalRScript}))
	return nil
}

// healthChecks are the health routes' checks besides the bus: the gateway,
// when this process holds connections.
func (s *Server) healthChecks() []httpapi.HealthCheck {
	if s.gw == nil {
		return nil
	}
	return []httpapi.HealthCheck{{Name: "gateway", Check: s.gw.Healthy}}
}

// URL is the base URL of the node, e.g. "http://localhost:8888"
// ("https://…" with TLS).
func (s *Server) URL() string {
	return s.scheme() + "://" + net.JoinHostPort(s.host, strconv.Itoa(s.port))
}

// SampleChatURL is the URL of the sample chat page (served in the roles
// that serve the app negotiate endpoint).
func (s *Server) SampleChatURL() string { return s.URL() + samples.Prefix + "chat/" }

// Port is the bound port.
func (s *Server) Port() int { return s.port }

// ConnectionString is the connection string REST callers and app negotiate
// functions use, in the Azure emulator's form.
func (s *Server) ConnectionString() string { return s.cs.String() }

// ClientURL is the URL to give a SignalR client for hub.
func (s *Server) ClientURL(hub string) string { return s.URL() + "/api?hub=" + url.QueryEscape(hub) }

// Gateway is the node's gateway (for tests and metrics); nil in the
// functions role.
func (s *Server) Gateway() *gateway.Server { return s.gw }

// Serve serves until ctx is done, then shuts down gracefully within
// Config.ShutdownTimeout: the listeners close (new connections are
// refused), clients are closed with "Service reloading, try reconnecting"
// and allowReconnect, HTTP requests drain, and an owned bus is closed. It returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context) error {
	stopWatch := s.watchSettings(ctx)
	defer stopWatch()
	stopDiag := s.watchSwitches(ctx)
	defer stopDiag()
	if s.gw != nil {
		if err := s.gw.Start(ctx); err != nil {
			s.closeListeners()
			if s.ownsBus {
				err = errors.Join(err, s.bus.Close())
			}
			return err
		}
	}
	s.live.Start()
	stopTask := s.watchTask(ctx)
	defer stopTask()
	errc := make(chan error, len(s.lns)+1)
	var wg sync.WaitGroup
	s.serveAdmin(&wg, errc)
	for i, ln := range s.lns {
		ln := &onceCloser{Listener: ln}
		s.lns[i] = ln
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.http.Serve(ln)
			if err != nil && !errors.Is(err, http.ErrServerClosed) && !(ctx.Err() != nil && errors.Is(err, net.ErrClosed)) {
				errc <- err
			}
		}()
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	// Stop accepting first, so clients told to reconnect reach another node.
	s.stopAccepting()
	var gwErr error
	if s.gw != nil {
		gwErr = s.gw.Shutdown(sctx)
	}
	// After the gateway's drain, so watchers see its connections end; before
	// the HTTP shutdown, which the streams would hold up.
	s.live.Close()
	err := errors.Join(serveErr, gwErr, s.http.Shutdown(sctx), s.shutdownAdmin(sctx))
	wg.Wait()
	if s.upstream != nil {
		// After the gateway: the disconnected events it queued are sent.
		err = errors.Join(err, s.upstream.Close(sctx))
	}
	if s.ownsBus {
		err = errors.Join(err, s.bus.Close())
	}
	return err
}

// watchTask polls the ECS task metadata endpoint, when configured, and
// drains the gateway once the task is being stopped; the returned stop
// ends the polling and waits for it.
func (s *Server) watchTask(ctx context.Context) (stop func()) {
	if s.gw == nil || s.cfg.TaskMetadataURL == "" {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		taskmeta.Watch(ctx, taskmeta.Config{BaseURL: s.cfg.TaskMetadataURL, Interval: s.cfg.TaskMetadataInterval, Logger: s.log},
			func() {
				s.log.Info("gateway draining: the task metadata says DesiredStatus STOPPED; clients are told to reconnect elsewhere", "connections", s.gw.Connections())
				if err := s.gw.Drain(); err != nil {
					s.log.Warn("gateway drain", "err", err)
				}
			})
	}()
	return func() { cancel(); <-done }
}

// watchSettings loads the upstream settings file and reloads it on change
// until the returned stop is called. A bad file keeps the settings in use.
func (s *Server) watchSettings(ctx context.Context) (stop func()) {
	path := s.cfg.UpstreamSettingsPath
	if path == "" {
		return func() {}
	}
	return upstream.WatchFile(ctx, path, 0, func(set upstream.Settings, err error) {
		if err != nil {
			s.log.Warn("upstream settings not loaded; keeping the previous ones", "path", path, "err", err)
			return
		}
		s.settings.Store(&set)
		s.log.Info("upstream settings loaded", "path", path, "templates", len(set.Templates))
	})
}

func (s *Server) closeListeners() {
	for _, ln := range s.lns {
		_ = ln.Close()
	}
	if s.adminLn != nil {
		_ = s.adminLn.Close()
	}
}

// home answers GET / with what this node is and, for the emulator, what
// a developer needs to connect.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	base := strings.TrimSuffix(s.cfg.ClientBase, "/")
	if base == "" {
		base = s.URL()
	}
	if !s.cfg.Emulator {
		fmt.Fprintf(w, "Herald %s\n\n%s\n", roleTitle[s.cfg.Role], roleServes[s.cfg.Role])
		if s.cfg.Role != RoleGateway {
			fmt.Fprintf(w, "Negotiate: %s/api/negotiate?hub=<hub>\n", base)
		} else {
			fmt.Fprintf(w, "Clients:   %s/client/?hub=<hub> (after your app's negotiate)\n", base)
		}
		return
	}
	cs := s.ConnectionString()
	if s.cfg.AccessKeys[0] != DevAccessKey {
		cs = "(configured with a private AccessKey; see the emulator's start-up output)"
	}
	fmt.Fprintf(w, "Herald local emulator (role %s)\n\nConnection string: %s\nClient URL:        %s\n", s.cfg.Role, cs, base+"/api?hub=<hub>")
	if s.cfg.Role != RoleGateway {
		fmt.Fprintf(w, "Sample chat page:  %s\n", s.SampleChatURL())
	}
}

// roleTitle and roleServes describe a production node on GET /.
var (
	roleTitle = map[Role]string{
		RoleAll:       "node (gateway, negotiate and REST API)",
		RoleGateway:   "gateway node",
		RoleFunctions: "functions node (negotiate and REST API)",
	}
	roleServes = map[Role]string{
		RoleAll:       "Serves client connections under /client/, the app negotiate endpoint and the REST API under /api/.",
		RoleGateway:   "Serves client connections under /client/ and health at /livez, /readyz and /api/health.",
		RoleFunctions: "Serves the app negotiate endpoint and the REST API under /api/.",
	}
)
