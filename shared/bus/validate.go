package bus

import "fmt"

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
	default:
		return fmt.Errorf("%w: envelope kind %d", ErrInvalidArgument, e.Kind)
	}
	return nil
}

// checkArgs returns an error wrapping ErrInvalidArgument naming the first
// empty value of its name/value pairs.
func checkArgs(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			return fmt.Errorf("%w: empty %s", ErrInvalidArgument, pairs[i])
		}
	}
	return nil
}
