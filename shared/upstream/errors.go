package upstream

import (
	"errors"
	"strconv"
)

var (
	// ErrNoMatch means no template matches an event: it is not sent.
	ErrNoMatch = errors.New("upstream: no template matches the event")

	// ErrInvalidSettings is wrapped by every error about settings: a
	// settings file that is not valid JSON, or a template whose URL is not
	// an absolute http or https URL.
	ErrInvalidSettings = errors.New("upstream: invalid settings")

	// ErrQueueFull means a session already holds as many pending
	// invocations as Config.QueueLength (or Config.QueueBytes) allows.
	// The invocation is not delivered.
	ErrQueueFull = errors.New("upstream: session queue full")

	// ErrSessionEnded means the event arrived after Session.Disconnected:
	// it is not delivered.
	ErrSessionEnded = errors.New("upstream: session ended")

	// ErrInvalidTarget means a client invocation's target cannot name an
	// event: it is not valid UTF-8, or it is "." or "..", which a
	// path-normalizing upstream would resolve as a dot segment of the URL
	// (see checkEventName). The invocation is not delivered.
	ErrInvalidTarget = errors.New("upstream: invalid invocation target")

	// ErrClosed means the Client is closing or closed: the event is not
	// delivered.
	ErrClosed = errors.New("upstream: client closed")
)

// Error texts of the completions a client receives when its blocking
// invocation does not reach the upstream or fails there. The texts of the
// Azure SignalR emulator are kept where it has one.
const (
	// ErrTextTooLarge answers a 200 response larger than
	// Config.MaxResponseBytes (emulator text).
	ErrTextTooLarge = "Invocation failed, response too large."
	// ErrTextTimeout answers an upstream call that did not finish within
	// Config.Timeout.
	ErrTextTimeout = "Invocation failed, upstream timed out."
	// ErrTextUnreachable answers an upstream call that failed without an
	// HTTP response (connection refused, reset, DNS failure, ...).
	ErrTextUnreachable = "Invocation failed, upstream unreachable."
	// ErrTextInvalidResponse answers a 200 body that is not one or more
	// complete hub messages in the client's protocol. Forwarding it would
	// corrupt the client's message stream.
	ErrTextInvalidResponse = "Invocation failed, invalid response from upstream."
	// ErrTextInvalidTarget answers an invocation whose target is not
	// valid UTF-8 or is "." or "..".
	ErrTextInvalidTarget = "Invocation failed, the target is not a valid hub method name."
	// ErrTextNoMatch answers an invocation no template matches.
	ErrTextNoMatch = "Invocation failed, no upstream is configured for this hub method."
	// ErrTextQueueFull answers an invocation arriving while the
	// connection's queue is full.
	ErrTextQueueFull = "Invocation failed, too many pending invocations."
	// ErrTextShuttingDown answers an invocation arriving after Close, or
	// cut short by it.
	ErrTextShuttingDown = "Invocation failed, the server is shutting down."
	// ErrTextEnded answers an invocation arriving after
	// Session.Disconnected.
	ErrTextEnded = "Invocation failed, the connection is closed."
)

// StatusErrorText returns the error text of a completion for an upstream
// response with a status other than 200 or 204:
// "Invocation failed, status code <code>" (the emulator's and Azure's text).
func StatusErrorText(code int) string {
	return "Invocation failed, status code " + strconv.Itoa(code)
}
