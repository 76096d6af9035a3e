package diag

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Switches are the resource log categories a Tracer writes. They are
// changed at runtime with SetSwitches (the admin listener and the
// deployment-wide setting in Redis do; docs/diagnostics.md "Switching logs
// on at runtime"); producers read them with one atomic load.
type Switches struct {
	// Connectivity switches the connectivity logs on.
	Connectivity bool `json:"connectivity"`
	// Messaging selects the messaging logs.
	Messaging MessagingMode `json:"messaging"`
	// HTTP switches the HTTP request logs on.
	HTTP bool `json:"http"`
}

// String is the switches in a log-friendly form, e.g.
// "connectivity=true messaging=off http=false".
func (s Switches) String() string {
	return fmt.Sprintf("connectivity=%t messaging=%s http=%t", s.Connectivity, s.Messaging, s.HTTP)
}

// String is the mode's name: off, all or diagnostic.
func (m MessagingMode) String() string {
	switch m {
	case MessagingAll:
		return "all"
	case MessagingDiagnostic:
		return "diagnostic"
	}
	return "off"
}

// MarshalText writes the mode's name.
func (m MessagingMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads a mode as ParseMessagingMode does.
func (m *MessagingMode) UnmarshalText(b []byte) error {
	v, err := ParseMessagingMode(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// SwitchesPatch changes some switches: a nil field keeps its value. It is
// the JSON body of the admin listener's PUT /admin/diagnostics.
type SwitchesPatch struct {
	Connectivity *bool          `json:"connectivity,omitempty"`
	Messaging    *MessagingMode `json:"messaging,omitempty"`
	HTTP         *bool          `json:"http,omitempty"`
}

// Apply returns s with the fields p sets changed.
func (p SwitchesPatch) Apply(s Switches) Switches {
	if p.Connectivity != nil {
		s.Connectivity = *p.Connectivity
	}
	if p.Messaging != nil {
		s.Messaging = *p.Messaging
	}
	if p.HTTP != nil {
		s.HTTP = *p.HTTP
	}
	return s
}

// ParseSwitches reads switches written as JSON ({"connectivity":true,
// "messaging":"all","http":false}); fields it lacks keep their value in
// base, unknown fields are an error.
func ParseSwitches(b []byte, base Switches) (Switches, error) {
	var p SwitchesPatch
	if err := decodeStrict(b, &p); err != nil {
		return base, fmt.Errorf("diag: switches: %w", err)
	}
	return p.Apply(base), nil
}

// decodeStrict decodes one JSON value into v, refusing unknown fields and
// trailing data.
func decodeStrict(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return fmt.Errorf("trailing data after the JSON object")
	}
	return nil
}
