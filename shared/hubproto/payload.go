package hubproto

import (
	"bytes"
	"errors"
	"fmt"
)

// ParsePayloadMap parses the application/octet-stream body of a REST send as
// the Management SDK writes it: a MessagePack map from protocol name to a bin
// holding one complete, already framed Invocation in that protocol, to be
// forwarded byte for byte to the clients speaking it
// (docs/compat/hub-protocol.md#pre-framed-payloads). It returns the framed
// bytes by protocol name, copied out of body.
//
// The "json" entry must be exactly one JSON record ending in RecordSeparator,
// and the "messagepack" entry exactly one VarInt-framed MessagePack record;
// each must decode as an Invocation. Entries under other names are returned
// unchecked, for callers to ignore. A body that is not such a map, is empty,
// repeats a name, or holds an invalid entry returns an error wrapping
// ErrInvalidMessage.
func ParsePayloadMap(body []byte) (map[string][]byte, error) {
	r := mpReader{b: clone(body)} // one copy; the entries are subslices of it
	n, err := r.header("payload map", mpMap)
	if err != nil {
		return nil, invalid("payload map", err)
	}
	if n == 0 {
		return nil, invalid("payload map", errors.New("no payloads"))
	}
	out := make(map[string][]byte, min(n, maxPreallocItems)) // grows with what is read
	for range n {
		name, err := r.text("protocol name", false)
		if err != nil {
			return nil, invalid("payload map", err)
		}
		if _, dup := out[name]; dup {
			return nil, invalid("payload map", fmt.Errorf("protocol %q appears twice", name))
		}
		t, err := r.next("payload")
		if err != nil {
			return nil, invalid("payload map", err)
		}
		if t.kind != mpBin {
			return nil, invalid("payload map", fmt.Errorf("expected the %q payload to be bin", name))
		}
		framed := r.b[t.pos:r.i:r.i]
		if err := checkFramedInvocation(name, framed); err != nil {
			return nil, invalid("payload "+name, err)
		}
		out[name] = framed
	}
	if r.i != len(r.b) {
		return nil, invalid("payload map", fmt.Errorf("%d bytes after the map", len(r.b)-r.i))
	}
	return out, nil
}

// checkFramedInvocation checks that framed is exactly one record of the
// named protocol holding an Invocation. Other protocols pass unchecked.
func checkFramedInvocation(protocol string, framed []byte) error {
	var m Message
	switch protocol {
	case "json":
		end := bytes.IndexByte(framed, RecordSeparator)
		if len(framed) == 0 || end != len(framed)-1 {
			return errors.New("not exactly one record ending in the record separator")
		}
		if err := decodeJSON(framed[:end], &m); err != nil {
			return err
		}
	case "messagepack":
		size, k, err := readVarInt(framed)
		switch {
		case err != nil:
			return err
		case k == 0 || k+size != len(framed):
			return errors.New("not exactly one length-prefixed record")
		case size == 0:
			return errors.New("empty record")
		}
		if err := decodeMsgpack(framed[k:], &m); err != nil {
			return err
		}
	default:
		return nil
	}
	if m.Type != TypeInvocation {
		return fmt.Errorf("holds a %v message, want Invocation", m.Type)
	}
	return nil
}
