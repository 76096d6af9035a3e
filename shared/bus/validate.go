package bus

import (
	"fmt"
	"unicode/utf8"
)

// Validate reports whether e is well formed, wrapping ErrInvalidArgument
// when it is not: a hub, a known Kind and Scope, an ID for every scope but
// ScopeAll, a Message with a Target (and, when Framed, at least one record)
// for KindSend, and, for membership kinds, ScopeConnection or ScopeUser
// plus a Group (except KindRemoveFromAllGroups). It does not parse
// Message.Arguments or the Framed records.
func (e *Envelope) Validate() error {
	if e == nil {
		return fmt.Errorf("%w: nil envelope", ErrInvalidArgument)
	}
	if e.Hub == "" {
		return fmt.Errorf("%w: envelope has no hub", ErrInvalidArgument)
	}
	if err := e.checkText(); err != nil {
		return err
	}
	switch e.Scope {
	case ScopeAll:
	case ScopeConnection, ScopeUser, ScopeGroup:
		if e.ID == "" {
			return fmt.Errorf("%w: %s envelope with scope %s has no id", ErrInvalidArgument, e.Kind, e.Scope)
		}
	default:
		return fmt.Errorf("%w: envelope scope %d", ErrInvalidArgument, e.Scope)
	}
	switch e.Kind {
	case KindSend:
		if e.Message == nil || e.Message.Target == "" {
			return fmt.Errorf("%w: send envelope has no message target", ErrInvalidArgument)
		}
		if f := e.Message.Framed; f != nil && len(f.JSON) == 0 && len(f.MessagePack) == 0 {
			return fmt.Errorf("%w: send envelope has an empty framed message", ErrInvalidArgument)
		}
	case KindClose:
	case KindAddToGroup, KindRemoveFromGroup, KindRemoveFromAllGroups:
		if e.Scope != ScopeConnection && e.Scope != ScopeUser {
			return fmt.Errorf("%w: %s envelope with scope %s", ErrInvalidArgument, e.Kind, e.Scope)
		}
		if e.Group == "" && e.Kind != KindRemoveFromAllGroups {
			return fmt.Errorf("%w: %s envelope has no group", ErrInvalidArgument, e.Kind)
		}
	case KindHandover:
		if e.Scope != ScopeConnection || e.Taker == "" {
			return fmt.Errorf("%w: handover envelope needs scope connection and a taker", ErrInvalidArgument)
		}
	default:
		return fmt.Errorf("%w: envelope kind %d", ErrInvalidArgument, e.Kind)
	}
	return nil
}

// checkText reports an envelope string, or JSON text, that is not valid
// UTF-8. Names travel between nodes as JSON strings, which cannot hold
// invalid UTF-8 (the Redis bus would carry U+FFFD instead, merging
// distinct names), and arguments and JSON records are written into
// WebSocket text frames (docs/limits-and-validation.md).
func (e *Envelope) checkText() error {
	for _, f := range []struct{ what, v string }{
		{"hub", e.Hub}, {"id", e.ID}, {"group", e.Group}, {"reason", e.Reason}, {"trace id", e.TraceID}, {"taker", e.Taker},
	} {
		if !utf8.ValidString(f.v) {
			return fmt.Errorf("%w: envelope %s is not valid UTF-8", ErrInvalidArgument, f.what)
		}
	}
	for _, x := range e.Excluded {
		if !utf8.ValidString(x) {
			return fmt.Errorf("%w: an excluded connection id is not valid UTF-8", ErrInvalidArgument)
		}
	}
	if m := e.Message; m != nil {
		if !utf8.ValidString(m.Target) || !utf8.Valid(m.Arguments) {
			return fmt.Errorf("%w: message target or arguments not valid UTF-8", ErrInvalidArgument)
		}
		if m.Framed != nil && !utf8.Valid(m.Framed.JSON) {
			return fmt.Errorf("%w: framed JSON record not valid UTF-8", ErrInvalidArgument)
		}
	}
	return nil
}

// CheckName returns an error wrapping ErrInvalidArgument when name, a hub,
// connection id, user id or group, is empty or not valid UTF-8; what
// names it in the error. Every Bus implementation refuses such names, so
// a name round-trips byte for byte on any of them.
func CheckName(what, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty %s", ErrInvalidArgument, what)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidArgument, what)
	}
	return nil
}

// CheckNames returns an error wrapping ErrInvalidArgument naming the
// first empty or non-UTF-8 value of its what/name pairs (see CheckName),
// for a Bus implementation's arguments.
func CheckNames(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := CheckName(pairs[i], pairs[i+1]); err != nil {
			return err
		}
	}
	return nil
}
