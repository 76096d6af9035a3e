package upstream

import (
	"context"
	"net/http"
	"sync"

	"github.com/heraldrt/herald/shared/hubproto"
)

// Client delivers events to the upstream. It is safe for concurrent use;
// the gateway creates one and opens a Session per client connection.
type Client struct {
	cfg     Config
	ownHTTP bool
	sem     chan struct{} // one token per upstream call in flight

	mu       sync.Mutex
	closed   bool                          // no new work; set by Close
	aborted  bool                          // in-flight calls cancelled; set when Close's ctx ends
	abort    chan struct{}                 // closed with aborted
	calls    map[uint64]context.CancelFunc // in-flight calls, cancelled on abort
	nextCall uint64                        // key of the next entry of calls
	runs     sync.WaitGroup                // session goroutines
}

// New returns a Client for cfg, with defaults applied.
func New(cfg Config) *Client {
	own := cfg.HTTPClient == nil
	cfg = cfg.withDefaults()
	return &Client{
		cfg:     cfg,
		ownHTTP: own,
		sem:     make(chan struct{}, cfg.MaxConcurrent),
		abort:   make(chan struct{}),
		calls:   make(map[uint64]context.CancelFunc),
	}
}

// Connection is the client connection a Session delivers events for.
type Connection struct {
	// Hub is the hub name as the connection uses it (lower-case in Herald).
	Hub string
	// ConnectionID is the public connection id.
	ConnectionID string
	// UserID is the connection's user id; "" when anonymous (then no
	// X-ASRS-User-Id header is sent).
	UserID string
	// Claims are the claims of the client's access token; ClaimsHeader
	// selects and formats what is sent.
	Claims map[string]any
	// Query is sent as X-ASRS-Client-Query when not "". Pass
	// ClientQuery(r.URL.RawQuery) of the connect request.
	Query string
	// Codec is the client's hub protocol: it selects the Content-Type of
	// invocations and encodes the completions Herald writes itself.
	// Default hubproto.JSON.
	Codec hubproto.Codec
	// RemoteAddr is the client's IP address, the callerIpAddress of the
	// messaging records about its invocations.
	RemoteAddr string
}

// Session returns a new Session for one client connection. Call Connected
// after the handshake, Invoke for each Invocation the client sends, and
// Disconnected once the connection is gone.
func (c *Client) Session(info Connection) *Session {
	if info.Codec == nil {
		info.Codec = hubproto.JSON
	}
	h := make(http.Header, 8)
	h[HeaderConnectionID] = []string{headerSafe(info.ConnectionID)}
	h[HeaderHub] = []string{headerSafe(info.Hub)}
	if info.UserID != "" {
		h[HeaderUserID] = []string{headerSafe(info.UserID)}
	}
	if claims := ClaimsHeader(info.Claims); claims != "" {
		h[HeaderUserClaims] = []string{claims}
	}
	if info.Query != "" {
		h[HeaderClientQuery] = []string{headerSafe(info.Query)}
	}
	if sig := Signature(info.ConnectionID, c.cfg.AccessKeys); sig != "" {
		h[HeaderSignature] = []string{sig}
	}
	contentType := ContentTypeJSON
	if info.Codec.Binary() {
		contentType = ContentTypeMessagePack
	}
	return &Session{c: c, info: info, header: h, contentType: contentType, diag: isDiagnostic(info.Claims)}
}

// Close stops accepting events (Session methods then return ErrClosed) and
// waits until every event already queued has been delivered. Call it after
// the gateway has closed its connections and called Disconnected, so that
// the disconnected events are sent. When ctx ends first, Close cancels the
// calls in flight, answers the invocations still queued with
// ErrTextShuttingDown, waits for the session goroutines to return and
// returns ctx.Err(). It is safe to call more than once.
func (c *Client) Close(ctx context.Context) error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()

	done := make(chan struct{})
	go func() {
		c.runs.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		c.abortCalls()
		<-done
		err = ctx.Err()
	}
	if c.ownHTTP {
		c.cfg.HTTPClient.CloseIdleConnections()
	}
	return err
}

// startRun accounts for a new session goroutine; false once the Client is
// closed.
func (c *Client) startRun() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.runs.Add(1)
	return true
}

func (c *Client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// abortCalls cancels every call in flight and every call to come.
func (c *Client) abortCalls() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.aborted {
		return
	}
	c.aborted = true
	close(c.abort)
	for _, cancel := range c.calls {
		cancel()
	}
	clear(c.calls)
}

// track registers the cancel function of a call and returns its key; false
// when calls are aborted (the caller then gives up).
func (c *Client) track(cancel context.CancelFunc) (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.aborted {
		return 0, false
	}
	c.nextCall++
	c.calls[c.nextCall] = cancel
	return c.nextCall, true
}

func (c *Client) untrack(t uint64) {
	c.mu.Lock()
	delete(c.calls, t)
	c.mu.Unlock()
}
