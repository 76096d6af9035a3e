package bus

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// DefaultSweepInterval is the MemoryConfig.SweepInterval used when none is
// set: expired user-group memberships are removed within about a second,
// like the Azure SignalR emulator.
const DefaultSweepInterval = time.Second

// MemoryConfig configures a Memory bus. The zero value is ready to use.
type MemoryConfig struct {
	// Logger receives debug records about expired memberships.
	// Default (nil): records are discarded.
	Logger *slog.Logger
	// SweepInterval is how often expired user-group memberships are removed
	// and their removal delivered. Default (zero or negative):
	// DefaultSweepInterval.
	SweepInterval time.Duration
	// Now returns the current time; tests replace it to control expiry.
	// Default (nil): time.Now.
	Now func() time.Time
	// GroupLimits bounds the groups of a connection and of a user.
	// Default: DefaultMaxConnectionGroups and DefaultMaxUserGroups.
	GroupLimits GroupLimits
}

// Memory is the in-process Bus used by the local emulator and unit tests.
//
// Every state change and every publish is applied under one lock, and its
// envelope is handed to the subscribers' Handlers in the calling goroutine,
// one call at a time, in the order the changes were applied: when a call
// returns, every Handler has seen its envelope. Handlers may call the
// Presence methods, but must not call Publish, a membership method,
// Subscription.Close or Close, which wait for the Handler to return.
//
// NewMemory starts one goroutine that expires user-group memberships; Close
// stops it and waits for it. The zero Memory is not usable.
type Memory struct {
	log *slog.Logger
	now func() time.Time

	stop chan struct{} // closed by Close to stop the sweeper
	done chan struct{} // closed by the sweeper when it returns

	turns turns // orders hand-offs; turns.issued is guarded by mu

	mu     sync.Mutex
	closed bool
	hubs   map[string]*hubState
	expiry expiryHeap   // memberships with a ttl, soonest first
	subs   []*memorySub // replaced, never modified in place
	quota  memoryQuota
	claims memoryClaims
	limits GroupLimits // resolved
}

var _ Bus = (*Memory)(nil)

// NewMemory returns a running Memory bus configured by cfg. Close it to
// stop its expiry goroutine.
func NewMemory(cfg MemoryConfig) *Memory {
	m := &Memory{
		log:    cfg.Logger,
		now:    cfg.Now,
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
		hubs:   make(map[string]*hubState),
		limits: cfg.GroupLimits.Resolved(),
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.now == nil {
		m.now = time.Now
	}
	interval := cfg.SweepInterval
	if interval <= 0 {
		interval = DefaultSweepInterval
	}
	m.turns.cond.L = &m.turns.mu
	go m.sweepLoop(interval)
	return m
}

// Ping reports ErrClosed after Close and nil otherwise.
func (m *Memory) Ping(ctx context.Context) error {
	if err := m.lock(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	m.mu.Unlock()
	return nil
}

// Close stops every subscription and the expiry goroutine and waits for
// in-flight Handler calls to return. Later calls, Close included, return
// ErrClosed.
func (m *Memory) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return fmt.Errorf("close: %w", ErrClosed)
	}
	m.closed = true
	m.subs = nil
	m.hubs = nil
	m.expiry = nil
	turn := m.turns.take()
	m.mu.Unlock()

	close(m.stop)
	<-m.done
	m.turns.wait(turn)
	m.turns.done()
	return nil
}

// lock checks ctx and takes m.mu, failing with ErrClosed after Close. On
// success the caller must unlock m.mu.
func (m *Memory) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	return nil
}

// hubLocked returns the state of hub, creating it. Callers hand it back
// with releaseLocked so that empty hubs are dropped.
func (m *Memory) hubLocked(hub string) *hubState {
	h := m.hubs[hub]
	if h == nil {
		h = newHubState()
		m.hubs[hub] = h
	}
	return h
}

// releaseLocked drops the state of hub when nothing is left in it.
func (m *Memory) releaseLocked(hub string, h *hubState) {
	if h.empty() {
		delete(m.hubs, hub)
	}
}
