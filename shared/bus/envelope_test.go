package bus_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/heraldrt/herald/shared/bus"
)

func TestEnvelopeClone(t *testing.T) {
	e := &bus.Envelope{
		Kind: bus.KindSend, Hub: "h", Scope: bus.ScopeAll, Excluded: []string{"a"},
		Message: &bus.Message{Target: "t", Arguments: json.RawMessage(`[1]`)},
	}
	c := e.Clone()
	c.Excluded[0] = "b"
	c.Message.Target = "u"
	c.Message.Arguments[1] = '2'
	if e.Excluded[0] != "a" || e.Message.Target != "t" || string(e.Message.Arguments) != "[1]" {
		t.Fatalf("Clone shares memory with the original: %+v %+v", e, e.Message)
	}
	if (*bus.Envelope)(nil).Clone() != nil {
		t.Fatal("Clone of nil is not nil")
	}
}

func TestEnvelopeCloneFramed(t *testing.T) {
	e := &bus.Envelope{Kind: bus.KindSend, Hub: "h", Scope: bus.ScopeAll,
		Message: &bus.Message{Target: "t", Framed: &bus.Framed{JSON: []byte("{}\x1e")}}}
	c := e.Clone()
	c.Message.Framed.JSON[0] = 'x'
	if string(e.Message.Framed.JSON) != "{}\x1e" {
		t.Fatalf("Clone shares the framed records: %q", e.Message.Framed.JSON)
	}
	if c.Message.Framed.MessagePack != nil {
		t.Fatal("Clone made a missing record empty")
	}
}

func TestEnvelopeValidate(t *testing.T) {
	msg := &bus.Message{Target: "t", Arguments: json.RawMessage(`[]`)}
	tests := []struct {
		name string
		e    *bus.Envelope
		ok   bool
	}{
		{"send all", &bus.Envelope{Kind: bus.KindSend, Hub: "h", Scope: bus.ScopeAll, Message: msg}, true},
		{"close user", &bus.Envelope{Kind: bus.KindClose, Hub: "h", Scope: bus.ScopeUser, ID: "u"}, true},
		{"add connection", &bus.Envelope{Kind: bus.KindAddToGroup, Hub: "h", Scope: bus.ScopeConnection, ID: "c", Group: "g"}, true},
		{"remove all user", &bus.Envelope{Kind: bus.KindRemoveFromAllGroups, Hub: "h", Scope: bus.ScopeUser, ID: "u"}, true},
		{"nil", nil, false},
		{"no hub", &bus.Envelope{Kind: bus.KindClose, Scope: bus.ScopeAll}, false},
		{"no kind", &bus.Envelope{Hub: "h", Scope: bus.ScopeAll}, false},
		{"no scope", &bus.Envelope{Kind: bus.KindClose, Hub: "h"}, false},
		{"no id", &bus.Envelope{Kind: bus.KindClose, Hub: "h", Scope: bus.ScopeConnection}, false},
		{"send no message", &bus.Envelope{Kind: bus.KindSend, Hub: "h", Scope: bus.ScopeAll}, false},
		{"send framed", &bus.Envelope{Kind: bus.KindSend, Hub: "h", Scope: bus.ScopeAll,
			Message: &bus.Message{Target: "t", Framed: &bus.Framed{MessagePack: []byte{1, 0x90}}}}, true},
		{"send framed empty", &bus.Envelope{Kind: bus.KindSend, Hub: "h", Scope: bus.ScopeAll,
			Message: &bus.Message{Target: "t", Framed: &bus.Framed{}}}, false},
		{"add to group scope", &bus.Envelope{Kind: bus.KindAddToGroup, Hub: "h", Scope: bus.ScopeGroup, ID: "x", Group: "g"}, false},
		{"add no group", &bus.Envelope{Kind: bus.KindAddToGroup, Hub: "h", Scope: bus.ScopeUser, ID: "u"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.e.Validate()
			if tc.ok && err != nil {
				t.Fatalf("Validate = %v, want nil", err)
			}
			if !tc.ok && !errors.Is(err, bus.ErrInvalidArgument) {
				t.Fatalf("Validate = %v, want ErrInvalidArgument", err)
			}
		})
	}
}
