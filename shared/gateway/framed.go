package gateway

import "github.com/heraldrt/herald/shared/bus"

// messageFrame encodes a send for protocol p. A message the sender framed
// itself (the Management SDK's binary payload) is wrapped as is: the record
// for p goes out byte for byte, and a message without a record for p gives
// an empty frame, meaning its clients receive nothing.
func messageFrame(p proto, m *bus.Message) ([]byte, error) {
	if m.Framed == nil {
		return invocationFrame(p, m.Target, m.Arguments)
	}
	rec := m.Framed.JSON
	if p == protoMsgpack {
		rec = m.Framed.MessagePack
	}
	if len(rec) == 0 {
		return []byte{}, nil
	}
	return p.frame(rec), nil
}
