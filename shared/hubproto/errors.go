package hubproto

import (
	"errors"
	"fmt"
)

var (
	// ErrIncomplete reports that the input holds no complete record yet. The
	// caller reads more bytes and tries again, within its own size limit.
	ErrIncomplete = errors.New("hubproto: incomplete message")

	// ErrInvalidMessage reports a record that breaks the hub protocol: bad
	// JSON or MessagePack, a bad length prefix, a missing or mistyped
	// property or element, or a combination the protocol forbids. The value
	// conversions and ParsePayloadMap report bad input with it too. It is
	// always wrapped with the detail.
	ErrInvalidMessage = errors.New("hubproto: invalid message")

	// ErrMessageTooLarge reports a message, or a buffered incomplete record,
	// larger than a limit the caller set. The package itself sets no limits
	// beyond the protocol's (MessagePack.Append returns it for a record over
	// MaxMsgpackRecordSize); transports return it wrapped.
	ErrMessageTooLarge = errors.New("hubproto: message too large")
)

// detailf describes what is wrong with a record. Internal functions return
// such details; the exported entry points wrap them with ErrInvalidMessage.
func detailf(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}

// invalid wraps a detail with ErrInvalidMessage and a context (which record).
func invalid(context string, detail error) error {
	if context == "" {
		return fmt.Errorf("%w: %v", ErrInvalidMessage, detail)
	}
	return fmt.Errorf("%w: %s: %v", ErrInvalidMessage, context, detail)
}
