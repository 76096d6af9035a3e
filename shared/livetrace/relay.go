package livetrace

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/heraldrt/herald/shared/diag"
)

// Relay carries live trace events between nodes; redisbus.Bus implements
// it.
type Relay interface {
	// PublishTrace sends one encoded event to every watching node.
	PublishTrace(ctx context.Context, payload []byte) error
	// SubscribeTrace calls deliver with every published event until stop.
	SubscribeTrace(ctx context.Context, deliver func([]byte)) (stop func() error, err error)
	// MarkTraceWatched records that this node has watchers, for ttl.
	MarkTraceWatched(ctx context.Context, ttl time.Duration) error
	// TraceWatched reports whether any node has watchers.
	TraceWatched(ctx context.Context) (bool, error)
}

// relayed is an event on the relay, tagged with its sender.
type relayed struct {
	Src   string     `json:"src"`
	Event diag.Event `json:"e"`
}

// relayQueue bounds the events waiting to be published; more are dropped.
const relayQueue = 4096

// relayTimeout bounds one relay call.
const relayTimeout = 2 * time.Second

// runRelay keeps this node's relay state in step with the watchers until
// s.done is closed: it marks the node watched and subscribes while local
// watchers exist, and switches forwarding on while any node watches.
func (s *Server) runRelay() {
	defer s.wg.Done()
	pub := make(chan diag.Event, relayQueue)
	s.tracer.SetForward(func(e *diag.Event) {
		select {
		case pub <- *e:
		default: // the relay is behind: drop rather than queue without bound
		}
	})
	defer s.tracer.SetForward(nil)
	pubDone := make(chan struct{})
	go func() { // owned here: waited for below
		defer close(pubDone)
		s.publish(pub)
	}()
	var unsub func() error
	t := time.NewTicker(s.cfg.RelayPoll)
	defer t.Stop()
	for {
		unsub = s.pollRelay(unsub)
		select {
		case <-s.done:
			if unsub != nil {
				_ = unsub()
			}
			s.tracer.SetRemoteWatching(false)
			<-pubDone
			return
		case <-t.C:
		case <-s.kick:
		}
	}
}

// pollRelay runs one step of runRelay and returns the subscription's stop.
func (s *Server) pollRelay(unsub func() error) func() error {
	ctx, cancel := context.WithTimeout(context.Background(), relayTimeout)
	defer cancel()
	if s.tracer.Watchers() > 0 {
		if err := s.cfg.Relay.MarkTraceWatched(ctx, 3*s.cfg.RelayPoll); err != nil {
			s.log.Debug("livetrace: mark watched", "err", err)
		}
		if unsub == nil {
			stop, err := s.cfg.Relay.SubscribeTrace(ctx, s.inject)
			if err != nil {
				s.log.Debug("livetrace: subscribe", "err", err)
			} else {
				unsub = stop
			}
		}
	} else if unsub != nil {
		_ = unsub()
		unsub = nil
	}
	watched, err := s.cfg.Relay.TraceWatched(ctx)
	s.tracer.SetRemoteWatching(err == nil && watched)
	return unsub
}

// publish sends queued events until s.done.
func (s *Server) publish(pub <-chan diag.Event) {
	for {
		select {
		case <-s.done:
			return
		case e := <-pub:
			b, err := json.Marshal(relayed{Src: s.instance, Event: e})
			if err != nil {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), relayTimeout)
			if err := s.cfg.Relay.PublishTrace(ctx, b); err != nil {
				s.log.Debug("livetrace: publish", "err", err)
			}
			cancel()
		}
	}
}

// inject hands another node's event to the local watchers.
func (s *Server) inject(payload []byte) {
	var r relayed
	if json.Unmarshal(payload, &r) != nil || r.Src == s.instance {
		return
	}
	s.tracer.Inject(&r.Event)
}

func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
