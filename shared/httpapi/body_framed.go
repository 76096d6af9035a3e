package httpapi

import (
	"errors"
	"strconv"
	"strings"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/hubproto"
)

const framedBodyShape = ` Expected a MessagePack map from protocol name ("json", "messagepack") ` +
	`to a bin holding one framed Invocation in that protocol.`

// readFramedMessage validates the application/octet-stream body the
// Management SDK sends when the application configured its hub protocols
// (docs/compat/hub-protocol.md#pre-framed-payloads): a MessagePack map
// from protocol name to the invocation already framed in that protocol.
// The records are kept as
// they are, to be written to each client byte for byte; names other than
// "json" and "messagepack" are ignored. Clients of a protocol the map has no
// record for receive nothing (the SDK includes every protocol it serves).
func readFramedMessage(data []byte) (*bus.Message, error) {
	if len(data) == 0 {
		return nil, invalid("body", msgBodyRequired)
	}
	recs, err := hubproto.ParsePayloadMap(data)
	if err != nil {
		return nil, invalid("body", "Invalid binary message body: "+hubprotoDetail(err)+"."+framedBodyShape)
	}
	f := &bus.Framed{JSON: recs[hubproto.JSON.Name()], MessagePack: recs[hubproto.MessagePack.Name()]}
	if f.JSON == nil && f.MessagePack == nil {
		return nil, invalid("body", `Invalid binary message body: no "json" or "messagepack" entry.`+framedBodyShape)
	}
	target := ""
	for _, p := range []struct {
		codec hubproto.Codec
		rec   []byte
	}{{hubproto.JSON, f.JSON}, {hubproto.MessagePack, f.MessagePack}} {
		if p.rec == nil {
			continue
		}
		msgs, _, err := p.codec.Decode(p.rec)
		if err != nil || len(msgs) != 1 || msgs[0].Target == "" {
			return nil, invalid("body", "Invalid binary message body: the "+p.codec.Name()+
				" invocation has no target."+framedBodyShape)
		}
		if target != "" && msgs[0].Target != target {
			return nil, invalid("body", "Invalid binary message body: the json and messagepack invocations "+
				"have different targets ("+quote(target)+", "+quote(msgs[0].Target)+").")
		}
		target = msgs[0].Target
	}
	return &bus.Message{Target: target, Framed: f}, nil
}

// hubprotoDetail is the detail of a hubproto error without the package's
// prefix.
func hubprotoDetail(err error) string {
	s := err.Error()
	if errors.Is(err, hubproto.ErrInvalidMessage) {
		s = strings.TrimPrefix(s, hubproto.ErrInvalidMessage.Error()+": ")
	}
	return s
}

// quote quotes s for an error message, clipped to keep messages short.
func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return strconv.Quote(s)
}
