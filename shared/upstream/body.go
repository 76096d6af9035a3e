package upstream

import (
	"encoding/json"
	"fmt"

	"github.com/heraldrt/herald/shared/hubproto"
)

// Bodies of the connection events. The disconnected body uses the
// emulator's PascalCase keys; the Functions trigger reads both cases.
var connectedBody = []byte(`{"type":10}`)

// disconnectedBody returns {"Type":11} or {"Type":11,"Error":"..."}.
func disconnectedBody(errText string) []byte {
	if errText == "" {
		return []byte(`{"Type":11}`)
	}
	text, _ := json.Marshal(errText) // a string always marshals
	b := append([]byte(`{"Type":11,"Error":`), text...)
	return append(b, '}')
}

// invocationBody returns the request body of an invocation: its record in
// codec's protocol without the framing (docs/compat/upstream.md#bodies).
// That is m.Raw, the bytes the client sent, for a message Codec.Decode
// returned; a message built
// otherwise is encoded with codec, as the Azure emulator does for every
// message.
func invocationBody(codec hubproto.Codec, m *hubproto.Message) ([]byte, error) {
	if len(m.Raw) > 0 {
		return m.Raw, nil
	}
	rec, err := codec.Append(nil, m)
	if err != nil {
		return nil, fmt.Errorf("upstream: invocation body: %w", err)
	}
	return unframe(codec.Binary(), rec)
}
