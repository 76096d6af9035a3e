package upstream

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/heraldrt/herald/shared/diag"
)

// Defaults of Config.
const (
	// DefaultTimeout bounds one upstream call, from sending the request to
	// reading the whole response: 100 seconds, the timeout of the .NET
	// HttpClient the Azure SignalR emulator posts with (Azure's own value
	// is not documented).
	DefaultTimeout = 100 * time.Second
	// DefaultMaxConcurrent is the most upstream calls in flight at once,
	// across all sessions: 256.
	DefaultMaxConcurrent = 256
	// DefaultMaxResponseBytes is the largest 200 response body forwarded to
	// a client: 16 MiB, the emulator's limit.
	DefaultMaxResponseBytes = 16 << 20
	// DefaultQueueLength is the most invocations waiting in one session:
	// 64.
	DefaultQueueLength = 64
	// DefaultQueueBytes is the most invocation bytes waiting in one
	// session: 4 MiB. An invocation is always accepted into an empty
	// queue, whatever its size.
	DefaultQueueBytes = 4 << 20
)

// Config configures a Client. Zero values mean the documented defaults.
type Config struct {
	// Settings returns the current upstream settings; it is called once per
	// event, so settings reloaded by WatchFile apply to the next event.
	// It must be safe for concurrent use and fast (return a value held in
	// an atomic.Pointer, or use Static). Default: no templates, so nothing
	// is sent and blocking invocations fail with ErrTextNoMatch.
	Settings func() Settings
	// AccessKeys sign every request: X-ASRS-Signature carries one entry per
	// key, in this order (primary, secondary). Default: no signature
	// header, which upstream functions reject.
	AccessKeys []string
	// HTTPClient sends the requests. Its own Timeout should be zero: the
	// Client bounds each call with Timeout. Default: a client whose
	// transport is a clone of http.DefaultTransport keeping up to
	// MaxConcurrent idle connections per host.
	HTTPClient *http.Client
	// Timeout bounds one upstream call, response body included.
	// Default DefaultTimeout (100s).
	Timeout time.Duration
	// MaxConcurrent bounds the upstream calls in flight across all
	// sessions. Default DefaultMaxConcurrent (256).
	MaxConcurrent int
	// MaxResponseBytes is the largest 200 body forwarded to a client; a
	// larger one becomes ErrTextTooLarge. Default DefaultMaxResponseBytes
	// (16 MiB).
	MaxResponseBytes int64
	// QueueLength bounds the invocations waiting in one session; more get
	// ErrQueueFull (and ErrTextQueueFull when blocking). Default
	// DefaultQueueLength (64).
	QueueLength int
	// QueueBytes bounds the invocation bytes waiting in one session, like
	// QueueLength. Default DefaultQueueBytes (4 MiB).
	QueueBytes int
	// Logger receives one LogCallFailed record per failed call (Warn) and
	// delivery errors, never a log per successful event at Info. Default:
	// discard.
	Logger *slog.Logger
	// Observe, when set, is called after every upstream call with its
	// category (CategoryConnections or CategoryMessages), the HTTP status
	// (0 when no response came), how long it took and its error; it
	// feeds metrics and must be fast. Default: none.
	Observe func(category string, status int, elapsed time.Duration, err error)
	// Tracer receives the messaging events of client invocations
	// (MessageReceived, UpstreamDelivered, UpstreamAnswered,
	// UpstreamFailed) while it wants them; diagnostic clients are told by
	// their token's diagnostic claim. Default: none.
	Tracer *diag.Tracer
}

func (c Config) withDefaults() Config {
	if c.Settings == nil {
		c.Settings = Static(Settings{})
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxConcurrent <= 0 {
		c.MaxConcurrent = DefaultMaxConcurrent
	}
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if c.QueueLength <= 0 {
		c.QueueLength = DefaultQueueLength
	}
	if c.QueueBytes <= 0 {
		c.QueueBytes = DefaultQueueBytes
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.HTTPClient == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = c.MaxConcurrent
		if tr.MaxIdleConns < c.MaxConcurrent {
			tr.MaxIdleConns = c.MaxConcurrent
		}
		c.HTTPClient = &http.Client{Transport: tr}
	}
	c.AccessKeys = append([]string(nil), c.AccessKeys...)
	return c
}
