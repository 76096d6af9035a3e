package config

import (
	"fmt"
	"time"

	"github.com/heraldrt/herald/shared/connstr"
	"github.com/heraldrt/herald/shared/diag"
)

// Node is the configuration of a node binary: gateway/ (Production
// defaults) and local/ (Development defaults, the local emulator). Fields
// are documented by their usage tags (docs/configuration.md).
type Node struct {
	OptionsFile string `flag:"options-file" env:"HERALD_OPTIONS_FILE" usage:"a JSON options file: an object of settings by flag name (or variable name), below the environment and the flags in precedence"`

	Role       string   `flag:"role" env:"HERALD_ROLE" default:"gateway" dev:"all" enum:"all,gateway,functions" usage:"what this process serves: gateway (client connections), functions (app negotiate and the REST API) or all; gateway and functions need Redis"`
	Addr       string   `flag:"addr" env:"HERALD_ADDR" default:":8080" dev:"localhost:8888" usage:"listen address host:port; localhost listens on both 127.0.0.1 and ::1"`
	AccessKeys []string `flag:"access-key,access-keys" env:"HERALD_ACCESS_KEYS" dev:"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH" doc:"none (required, or HERALD_CONNECTION_STRING)" devdoc:"the Azure emulator's well-known key" secret:"true" usage:"comma-separated AccessKeys that sign and verify every token; the first signs"`
	// ConnectionString is read for its AccessKey when AccessKeys is not
	// given.
	ConnectionString string        `flag:"connection-string" env:"HERALD_CONNECTION_STRING" secret:"true" usage:"an Azure-style connection string whose AccessKey is used when no AccessKey is given"`
	RedisURL         string        `flag:"redis,redis-url" env:"REDIS_URL" default:"redis://127.0.0.1:6379/0" dev:"-" devdoc:"none: the in-memory bus" secret:"true" usage:"Redis (rediss:// for TLS); a Redis Cluster: redis+cluster://host:port[,host:port…] (rediss+cluster:// for TLS)"`
	RedisPrefix      string        `flag:"redis-prefix" env:"HERALD_REDIS_PREFIX" default:"herald" usage:"prefix of every Redis key and channel; the same in every process of a deployment"`
	NodeID           string        `flag:"node-id" env:"HERALD_NODE_ID" doc:"generated" usage:"node name in logs and Redis"`
	NodeTTL          time.Duration `flag:"node-ttl" env:"HERALD_NODE_TTL" default:"15s" usage:"with Redis: how long a gateway node counts as alive after its last heartbeat"`
	Heartbeat        time.Duration `flag:"heartbeat" env:"HERALD_HEARTBEAT" default:"5s" usage:"with Redis: how often a gateway node records that it is alive"`
	PublicURL        string        `flag:"public-url,client-url" env:"HERALD_PUBLIC_URL" doc:"none: the URL negotiate was called on" usage:"the base URL clients reach the deployment at (e.g. https://signalr.example.com/): negotiate hands it to clients and GET / names it"`
	InternalURL      string        `flag:"internal-url" env:"HERALD_INTERNAL_URL" doc:"http://<first non-loopback IPv4>:<port of the listen address>" devdoc:"http:// and the listen address" usage:"the URL other gateway nodes reach this node at; Server-Sent Events and Long Polling requests for its connections are forwarded there"`

	UpstreamSettings    string        `flag:"upstream-settings,config" env:"HERALD_UPSTREAM_SETTINGS" devdoc:"./settings.json when present" usage:"upstream settings file in the Azure emulator's format, reloaded when it changes"`
	UpstreamURLTemplate string        `flag:"upstream-url-template" env:"HERALD_UPSTREAM_URL_TEMPLATE" usage:"one upstream URL template for every event (used without a settings file), e.g. https://app.example/runtime/webhooks/signalr?code=KEY"`
	UpstreamTimeout     time.Duration `flag:"upstream-timeout" env:"HERALD_UPSTREAM_TIMEOUT" default:"100s" usage:"how long a client invocation waits for the upstream function"`
	SignalRScript       string        `flag:"signalr-js" env:"HERALD_SIGNALR_JS" devdoc:"tests/js/node_modules/@microsoft/signalr/dist/browser/signalr.min.js when present" usage:"the @microsoft/signalr browser bundle the sample chat page loads (else it loads it from jsDelivr)"`

	AppSecret     string        `flag:"app-secret" env:"HERALD_APP_SECRET" secret:"true" usage:"require an HS256 app token (with exp) signed with this secret on /api/negotiate; the user is its sub"`
	AppJWKSURL    string        `flag:"app-jwks,app-jwks-url" env:"HERALD_APP_JWKS_URL" usage:"require an app token on /api/negotiate verified against this JWKS URL (RS/ES)"`
	AppAudience   string        `flag:"app-audience" env:"HERALD_APP_AUDIENCE" usage:"an app token's aud must include this (set it with a JWKS: an identity provider signs tokens for many applications)"`
	AppIssuer     string        `flag:"app-issuer" env:"HERALD_APP_ISSUER" usage:"an app token's iss must equal this"`
	Claims        []string      `flag:"claims" env:"HERALD_CLAIMS" usage:"comma-separated app-token claims copied into access tokens (keep tokens small)"`
	TokenLifetime time.Duration `flag:"token-lifetime" env:"HERALD_TOKEN_LIFETIME" default:"1h" usage:"lifetime of access tokens from /api/negotiate"`
	CORSOrigins   []string      `flag:"cors-origins" env:"HERALD_CORS_ORIGINS" doc:"none: no cross-origin calls" devdoc:"any origin on localhost, 127.0.0.1 or [::1] (any port)" usage:"comma-separated browser origins (https://app.example.com) allowed to call negotiate and /client cross-origin with credentials, or * for every origin without credentials"`

	ShutdownTimeout time.Duration `flag:"shutdown-timeout" env:"HERALD_SHUTDOWN_TIMEOUT" default:"25s" dev:"10s" usage:"on SIGTERM or Ctrl+C the listeners close, clients get \"Service reloading, try reconnecting\" with allowReconnect, and the process exits within this time (25s: below ECS's 30 s stop timeout)"`
	// ClientTimeout and KeepAliveInterval are Azure's
	// ClientTimeoutInterval and KeepAliveInterval: a connection silent
	// for ClientTimeout is closed ("Connection ping timeout"); the node
	// pings a client it sent nothing to for KeepAliveInterval.
	ClientTimeout     time.Duration `flag:"client-timeout" env:"HERALD_CLIENT_TIMEOUT" default:"30s" usage:"a client connection that sends nothing for this long is closed with \"Connection ping timeout\" (the official clients ping every 15 s)"`
	KeepAliveInterval time.Duration `flag:"keepalive-interval" env:"HERALD_KEEPALIVE_INTERVAL" default:"15s" usage:"the gateway pings a client it has sent nothing to for this long; keep it below the clients' server timeout (30 s in the official clients) and the client timeout"`
	MaxBodyBytes      int           `flag:"max-body-bytes" env:"HERALD_MAX_BODY_BYTES" default:"1048576" min:"1" usage:"largest REST message body; larger ones get 413"`

	// GatewayTuning are the gateway's limits, timeouts and quotas, carried
	// unchanged to gateway.Config.
	GatewayTuning

	MaxLiveTraceWatchers int `flag:"max-livetrace-watchers" env:"HERALD_MAX_LIVETRACE_WATCHERS" default:"16" usage:"most live trace streams per process; the next gets 429 (0: no limit)"`
	MaxConnectionGroups  int `flag:"max-connection-groups" env:"HERALD_MAX_CONNECTION_GROUPS" default:"1000" usage:"most groups of one connection; a join beyond answers 409 (0: no limit)"`
	MaxUserGroups        int `flag:"max-user-groups" env:"HERALD_MAX_USER_GROUPS" default:"1000" usage:"most recorded group memberships of one user in a hub; a join beyond answers 409 (0: no limit)"`

	TLSCert string `flag:"tls-cert" env:"HERALD_TLS_CERT" usage:"serve HTTPS and WSS (TLS 1.2 or newer) with this PEM certificate (chain); needs the key; URLs and the connection string then say https"`
	TLSKey  string `flag:"tls-key" env:"HERALD_TLS_KEY" usage:"PEM private key of the TLS certificate"`

	LogLevel        string `flag:"log-level" env:"HERALD_LOG_LEVEL" default:"info" enum:"debug,info,warn,error" usage:"log level: debug, info, warn or error"`
	LogFormat       string `flag:"log-format" env:"HERALD_LOG_FORMAT" default:"json" dev:"text" enum:"json,text" usage:"log format: json or text"`
	LogJSON         bool   `flag:"log-json" usage:"the same as --log-format json"`
	LogConnectivity bool   `flag:"log-connectivity" env:"HERALD_LOG_CONNECTIVITY" default:"false" usage:"resource logs ConnectionStarted, ConnectionEnded, ConnectionAborted (with the reason)"`
	LogMessaging    string `flag:"log-messaging" env:"HERALD_LOG_MESSAGING" default:"off" usage:"resource logs of messages with their tracing id: off, all, or diagnostic (diagnostic clients only)"`
	LogHTTP         bool   `flag:"log-http" env:"HERALD_LOG_HTTP" default:"false" usage:"a resource log per HTTP request"`

	AdminAddr          string        `flag:"admin-addr" env:"HERALD_ADMIN_ADDR" doc:"none (off)" usage:"admin listener for pprof and /metrics, e.g. 127.0.0.1:6060; keep it private"`
	PublicMetrics      bool          `flag:"public-metrics" env:"HERALD_PUBLIC_METRICS" default:"false" usage:"also serve /metrics on the main listener, without hub names (default: the admin listener only)"`
	MetricsEMF         bool          `flag:"metrics-emf" env:"HERALD_METRICS_EMF" default:"false" usage:"write the herald_* gauges and counters as one CloudWatch Embedded Metric Format JSON line on stdout per interval (namespace Herald, dimension Service=gateway)"`
	MetricsEMFInterval time.Duration `flag:"metrics-emf-interval" env:"HERALD_METRICS_EMF_INTERVAL" default:"60s" usage:"time between two EMF lines"`

	// HTTP are the timeouts and the header limit of every listener,
	// carried unchanged to node.Config.HTTP.
	HTTP HTTPLimits

	TaskMetadataURL      string        `flag:"task-metadata-url" env:"ECS_CONTAINER_METADATA_URI_V4" doc:"set by ECS" usage:"the ECS task metadata endpoint: the gateway polls its /task and drains (clients told \"Service reloading, try reconnecting\") as soon as DesiredStatus is STOPPED"`
	TaskMetadataInterval time.Duration `flag:"task-metadata-interval" env:"HERALD_TASK_METADATA_INTERVAL" default:"1s" usage:"time between two polls of the task metadata endpoint"`

	DiagPoll time.Duration `flag:"diag-poll" env:"HERALD_DIAG_POLL" default:"2s" usage:"how often a node on Redis reads the deployment's diagnostics switches (set on any node's admin listener with ?scope=deployment)"`

	// messaging is LogMessaging parsed, set by validate.
	messaging diag.MessagingMode
}

func (*Node) family() string { return "node (gateway, local)" }

// Messaging is the messaging logs mode (LogMessaging), valid after Load.
func (n *Node) Messaging() diag.MessagingMode { return n.messaging }

func (n *Node) validate(set func(string) bool) error {
	v := &validator{fields: fieldsOf(reflectType(n))}
	if n.LogJSON {
		n.LogFormat = "json"
	}
	if n.ConnectionString != "" && !set("access-key") {
		if cs, err := connstr.Parse(n.ConnectionString); err != nil {
			v.fail("connection-string", err)
		} else {
			n.AccessKeys = []string{cs.AccessKey}
		}
	}
	if len(n.AccessKeys) == 0 {
		v.fail("access-key", fmt.Errorf("set it (or HERALD_CONNECTION_STRING) to the AccessKey clients' tokens are signed with"))
	}
	if (n.TLSCert == "") != (n.TLSKey == "") {
		v.fail("tls-cert", fmt.Errorf("set both HERALD_TLS_CERT and HERALD_TLS_KEY (--tls-cert, --tls-key), or neither"))
	}
	if n.TLSCert != "" && !set("forwarded-hops") {
		n.ForwardedHops = 0 // the node faces clients: X-Forwarded-For is theirs to forge
	}
	if n.Role != "all" && n.RedisURL == "" {
		v.fail("role", fmt.Errorf("role %s needs Redis (REDIS_URL, --redis): the other roles run in other processes", n.Role))
	}
	v.redisURL("redis", n.RedisURL)
	v.absoluteURL("public-url", n.PublicURL)
	v.absoluteURL("internal-url", n.InternalURL)
	v.cors("cors-origins", n.CORSOrigins)
	if n.AppSecret != "" && n.AppJWKSURL != "" {
		v.fail("app-secret", fmt.Errorf("set it or HERALD_APP_JWKS_URL (--app-jwks), not both"))
	}
	if n.KeepAliveInterval >= n.ClientTimeout {
		v.fail("keepalive-interval", fmt.Errorf("%v is not below the client timeout (%v): clients that wait for pings would time out", n.KeepAliveInterval, n.ClientTimeout))
	}
	mode, err := diag.ParseMessagingMode(n.LogMessaging)
	if err != nil {
		v.fail("log-messaging", err)
	}
	n.messaging = mode
	return v.err
}
