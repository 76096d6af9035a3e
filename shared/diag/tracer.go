package diag

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// MessagingMode says which messages the messaging logs record.
type MessagingMode uint8

// Messaging modes.
const (
	// MessagingOff records no messaging logs (the default).
	MessagingOff MessagingMode = iota
	// MessagingAll records every message (Azure's "collect all").
	MessagingAll
	// MessagingDiagnostic records deliveries to diagnostic clients only
	// (Azure's "collect partially").
	MessagingDiagnostic
)

// ParseMessagingMode reads "off" (or ""), "all" or "diagnostic".
func ParseMessagingMode(s string) (MessagingMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "off", "false", "none":
		return MessagingOff, nil
	case "all", "on", "true":
		return MessagingAll, nil
	case "diagnostic", "partial":
		return MessagingDiagnostic, nil
	}
	return MessagingOff, fmt.Errorf("diag: messaging logs %q: use off, all or diagnostic", s)
}

// Config configures a Tracer. Zero values mean the documented defaults:
// every category off.
type Config struct {
	// Logger receives the resource logs, one record per event whose
	// message and "operationName" attribute are the event name, with
	// Azure's field names (docs/diagnostics.md), at Info: a failure's
	// warning is the operational record its producer writes, once.
	// Default: discard.
	Logger *slog.Logger
	// Connectivity switches the connectivity logs on.
	Connectivity bool
	// Messaging selects the messaging logs. Default MessagingOff.
	Messaging MessagingMode
	// HTTP switches the HTTP request logs on.
	HTTP bool
	// Node names this process in events (live trace from several nodes).
	// Default: set later with SetDefaultNode (the emulator uses its listen
	// address).
	Node string
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Tracer decides which diagnostics events are wanted and writes them. A
// nil *Tracer wants nothing. Methods are safe for concurrent use.
type Tracer struct {
	cfg Config
	log *slog.Logger

	// watching is true while a live trace watcher anywhere wants events:
	// local watchers, or (with a relay) watchers on another node.
	watching atomic.Bool
	remote   atomic.Bool
	sw       atomic.Pointer[Switches] // the resource log categories on
	node     atomic.Pointer[string]

	mu      sync.RWMutex // sinks run under the read lock: they never block
	sinks   map[uint64]func(*Event)
	nextID  uint64
	forward func(*Event) // relays events to other nodes' watchers; nil without a relay
}

// New returns a Tracer for cfg.
func New(cfg Config) *Tracer {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	t := &Tracer{cfg: cfg, log: cfg.Logger, sinks: map[uint64]func(*Event){}}
	t.node.Store(&cfg.Node)
	t.sw.Store(&Switches{Connectivity: cfg.Connectivity, Messaging: cfg.Messaging, HTTP: cfg.HTTP})
	return t
}

// SetDefaultNode names the node in events when Config.Node was empty.
func (t *Tracer) SetDefaultNode(node string) {
	if t != nil && t.cfg.Node == "" {
		t.node.Store(&node)
	}
}

// Defaults are the switches Config set: those of the node's environment.
func (t *Tracer) Defaults() Switches {
	if t == nil {
		return Switches{}
	}
	return Switches{Connectivity: t.cfg.Connectivity, Messaging: t.cfg.Messaging, HTTP: t.cfg.HTTP}
}

// Switches are the resource log categories on now.
func (t *Tracer) Switches() Switches {
	if t == nil {
		return Switches{}
	}
	return *t.sw.Load()
}

// SetSwitches switches the resource log categories at once (one atomic
// store: producers see the old set or the new one, never a mix) and
// returns the previous set.
func (t *Tracer) SetSwitches(s Switches) (old Switches) {
	return *t.sw.Swap(&s)
}

// Connectivity reports whether connectivity events are wanted.
func (t *Tracer) Connectivity() bool {
	return t != nil && (t.sw.Load().Connectivity || t.watching.Load())
}

// HTTP reports whether HTTP request events are wanted.
func (t *Tracer) HTTP() bool { return t != nil && (t.sw.Load().HTTP || t.watching.Load()) }

// MessagingAny reports whether any messaging event may be wanted; a
// fan-out asks once, then Messaging per connection.
func (t *Tracer) MessagingAny() bool {
	return t != nil && (t.sw.Load().Messaging != MessagingOff || t.watching.Load())
}

// Messaging reports whether a messaging event about a connection
// (diagnostic or not) is wanted.
func (t *Tracer) Messaging(diagnostic bool) bool {
	if t == nil {
		return false
	}
	switch m := t.sw.Load().Messaging; {
	case m == MessagingAll, m == MessagingDiagnostic && diagnostic:
		return true
	}
	return t.watching.Load()
}

// logs reports whether e goes to the resource logs.
func (t *Tracer) logs(e *Event) bool {
	sw := t.sw.Load()
	switch e.Category {
	case Connectivity:
		return sw.Connectivity
	case HTTP:
		return sw.HTTP
	case Messaging:
		return sw.Messaging == MessagingAll || (sw.Messaging == MessagingDiagnostic && e.Diagnostic)
	}
	return false
}

// Emit stamps e with the time and node, logs it if its category is on and
// hands it to the live trace watchers. Ask the category method first.
func (t *Tracer) Emit(e Event) {
	if t == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = t.cfg.Now()
	}
	if e.Node == "" {
		e.Node = *t.node.Load()
	}
	if e.Message == "" {
		e.Message = e.defaultMessage()
	}
	if t.logs(&e) {
		t.log.LogAttrs(context.Background(), slog.LevelInfo, e.Name, e.attrs()...)
	}
	if t.watching.Load() {
		t.deliver(&e, true)
	}
}

// deliver hands e to local sinks and, when forward is set and other
// nodes watch, to the relay.
func (t *Tracer) deliver(e *Event, relay bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, s := range t.sinks {
		s(e)
	}
	fwd := t.forward
	if relay && fwd != nil && t.remote.Load() {
		fwd(e)
	}
}

// Watch adds a live trace sink: sink gets every event of every category
// until cancel is called. sink must not block (drop what it cannot keep).
func (t *Tracer) Watch(sink func(*Event)) (cancel func()) {
	t.mu.Lock()
	id := t.nextID
	t.nextID++
	t.sinks[id] = sink
	t.updateLocked()
	t.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			t.mu.Lock()
			delete(t.sinks, id)
			t.updateLocked()
			t.mu.Unlock()
		})
	}
}

// Watchers is the number of local live trace sinks.
func (t *Tracer) Watchers() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.sinks)
}

func (t *Tracer) updateLocked() {
	t.watching.Store(len(t.sinks) > 0 || t.remote.Load())
}

// SetForward sets the function that relays this node's events to other
// nodes while SetRemoteWatching(true); nil stops relaying.
func (t *Tracer) SetForward(f func(*Event)) {
	t.mu.Lock()
	t.forward = f
	t.mu.Unlock()
}

// SetRemoteWatching records whether a watcher on another node wants this
// node's events.
func (t *Tracer) SetRemoteWatching(on bool) {
	t.mu.Lock()
	t.remote.Store(on)
	t.updateLocked()
	t.mu.Unlock()
}

// Inject hands an event relayed from another node to the local sinks.
func (t *Tracer) Inject(e *Event) {
	if t != nil && t.watching.Load() {
		t.deliver(e, false)
	}
}
