package upstream

import (
	"fmt"
	"net/http"
	"sync"

	"github.com/heraldrt/herald/shared/hubproto"
)

// Session delivers the events of one client connection, in the order they
// are given: Connected, the invocations, Disconnected. Its methods never
// block on the upstream: events are queued and delivered by at most one
// goroutine per session, started when work arrives and returning when the
// queue is empty (Client.Close waits for it). All methods are safe for
// concurrent use, but the order between concurrent calls is theirs.
//
// The errors the methods return are informational: the event was not
// queued, and for a blocking invocation the client has already been
// answered through reply.
type Session struct {
	c           *Client
	info        Connection
	header      http.Header // the headers common to every request
	contentType string      // of invocations
	diag        bool        // a diagnostic client (messaging logs)

	mu      sync.Mutex
	queue   []event
	count   int  // invocations in queue
	bytes   int  // invocation body bytes in queue
	running bool // a goroutine drains queue
	ended   bool // Disconnected was called
}

type eventKind uint8

const (
	kindConnected eventKind = iota
	kindInvocation
	kindDisconnected
)

// event is one queued upstream call.
type event struct {
	kind   eventKind
	url    string
	name   string // X-ASRS-Event
	id     string // invocation id; "" for non-blocking
	body   []byte
	reply  func(frame []byte)
	errMsg string // disconnected
	trace  string // message tracing id; "" when the invocation is not traced
	stream bool   // a StreamInvocation: only a failure is answered
}

// Connected queues the connected event. Call it once, after the client's
// handshake succeeded. The upstream's response is ignored (a failure is
// logged), as in the Azure emulator. It returns an error wrapping
// ErrNoMatch when no template selects the event (nothing is sent),
// ErrSessionEnded after Disconnected, or ErrClosed.
func (s *Session) Connected() error {
	url, err := s.c.cfg.Settings().Match(s.info.Hub, CategoryConnections, EventConnected)
	if err != nil {
		return err
	}
	return s.enqueue(event{kind: kindConnected, url: url, name: EventConnected, body: connectedBody})
}

// Invoke queues an Invocation the client sent. msg must be a
// hubproto.TypeInvocation message as Connection.Codec decoded it: the request
// body is msg.Raw, the client's record byte for byte without its framing
// (a message without Raw is encoded with the codec). The session keeps
// msg.Raw until the call is made; it must not be modified.
//
// Invoke does not block. When msg has an invocation id, reply later
// receives, from the session's goroutine, the complete record to write to
// the client (ReplyFrame). When msg cannot be queued, reply is called at
// once, on the calling goroutine and before Invoke returns, with an error
// completion. reply must therefore never block. reply may be nil for
// non-blocking invocations (no InvocationID), whose responses are
// discarded.
//
// Invoke returns an error wrapping ErrInvalidTarget (a target that is not
// valid UTF-8, or is "." or "..": nothing is sent; client answered with
// ErrTextInvalidTarget), ErrNoMatch (no template; client answered
// with ErrTextNoMatch), ErrQueueFull (ErrTextQueueFull), ErrSessionEnded
// (ErrTextEnded) or ErrClosed (ErrTextShuttingDown), or an error for a msg
// that is not a valid Invocation (the client is not answered; the gateway
// never passes one).
//
// A hubproto.TypeStreamInvocation message is delivered the same way (the
// request body is the StreamInvocation record), but the function answers
// it later through the REST stream routes: reply is called only when the
// call fails (any status but 2xx, no response), with an error Completion
// that ends the stream; a 2xx response body is ignored.
func (s *Session) Invoke(msg hubproto.Message, reply func(frame []byte)) error {
	if msg.Type != hubproto.TypeInvocation && msg.Type != hubproto.TypeStreamInvocation {
		return fmt.Errorf("upstream: Invoke with a %v message", msg.Type)
	}
	e := event{kind: kindInvocation, name: msg.Target, id: msg.InvocationID, reply: reply,
		stream: msg.Type == hubproto.TypeStreamInvocation}
	if e.reply == nil {
		e.id = ""
	}
	s.traceReceived(&e)
	if err := checkEventName(msg.Target); err != nil {
		s.fail(e, ErrTextInvalidTarget)
		return err
	}
	url, err := s.c.cfg.Settings().Match(s.info.Hub, CategoryMessages, msg.Target)
	if err != nil {
		s.fail(e, ErrTextNoMatch)
		return err
	}
	e.url = url
	if e.body, err = invocationBody(s.info.Codec, &msg); err != nil {
		return err
	}
	return s.enqueue(e)
}

// Disconnected queues the disconnected event, delivered after every event
// queued before it; errText is the reason the connection ended ("" for a
// normal close) and becomes the body's Error. The session ends: later calls
// return ErrSessionEnded. The response is ignored (a failure is logged).
func (s *Session) Disconnected(errText string) error {
	url, err := s.c.cfg.Settings().Match(s.info.Hub, CategoryConnections, EventDisconnected)
	if err != nil {
		s.mu.Lock()
		s.ended = true
		s.mu.Unlock()
		return err
	}
	return s.enqueue(event{kind: kindDisconnected, url: url, name: EventDisconnected, errMsg: errText})
}

// enqueue appends e to the queue and starts the session goroutine if none
// runs. A rejected blocking invocation is answered at once.
func (s *Session) enqueue(e event) error {
	s.mu.Lock()
	switch {
	case s.ended:
		s.mu.Unlock()
		s.fail(e, ErrTextEnded)
		return ErrSessionEnded
	case s.c.isClosed():
		s.mu.Unlock()
		s.fail(e, ErrTextShuttingDown)
		return ErrClosed
	case e.kind == kindInvocation && s.count > 0 &&
		(s.count >= s.c.cfg.QueueLength || s.bytes+len(e.body) > s.c.cfg.QueueBytes):
		s.mu.Unlock()
		s.fail(e, ErrTextQueueFull)
		return ErrQueueFull
	}
	if !s.running {
		if !s.c.startRun() {
			s.mu.Unlock()
			s.fail(e, ErrTextShuttingDown)
			return ErrClosed
		}
		s.running = true
		go s.run()
	}
	if e.kind == kindDisconnected {
		s.ended = true
	}
	if e.kind == kindInvocation {
		s.count++
		s.bytes += len(e.body)
	}
	s.queue = append(s.queue, e)
	s.mu.Unlock()
	return nil
}

// run delivers the queued events in order and returns when the queue is
// empty.
func (s *Session) run() {
	defer s.c.runs.Done()
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			s.queue = nil
			s.running = false
			s.mu.Unlock()
			return
		}
		e := s.queue[0]
		s.queue[0] = event{}
		s.queue = s.queue[1:]
		if e.kind == kindInvocation {
			s.count--
			s.bytes -= len(e.body)
		}
		s.mu.Unlock()
		s.deliver(e)
	}
}

// fail answers a blocking invocation that is not delivered.
func (s *Session) fail(e event, errText string) {
	if e.kind == kindInvocation {
		s.traceOutcome(&e, Response{}, errText)
	}
	if e.kind != kindInvocation || e.id == "" {
		return
	}
	s.replyError(e, errText)
}

func (s *Session) replyError(e event, errText string) {
	frame, err := ErrorFrame(s.info.Codec, e.id, errText)
	if err != nil {
		s.c.cfg.Logger.Error("upstream: cannot encode completion", "hubName", s.info.Hub, "connectionId", s.info.ConnectionID, "err", err)
		return
	}
	e.reply(frame)
}
