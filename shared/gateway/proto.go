package gateway

import (
	"encoding/json"

	"github.com/heraldrt/herald/shared/hubproto"
)

// proto is a connection's hub protocol; frames are encoded once per proto.
type proto uint8

const (
	protoJSON proto = iota
	protoMsgpack
	numProtos
)

// protoOf maps a negotiated codec to its proto.
func protoOf(c hubproto.Codec) proto {
	if c.Name() == hubproto.MessagePack.Name() {
		return protoMsgpack
	}
	return protoJSON
}

func (p proto) codec() hubproto.Codec {
	if p == protoMsgpack {
		return hubproto.MessagePack
	}
	return hubproto.JSON
}

func (p proto) String() string { return p.codec().Name() }

// opcode is the WebSocket frame type: text for JSON, binary for MessagePack.
func (p proto) opcode() byte {
	if p == protoMsgpack {
		return opBinary
	}
	return opText
}

// frame wraps one encoded hub message record in a WebSocket frame.
func (p proto) frame(record []byte) []byte {
	return finishFrame(append(frameBuf(len(record)), record...), p.opcode())
}

// Frames shared by every connection; never modified.
var (
	pingFrames = [numProtos][]byte{
		protoJSON:    finishFrame(hubproto.AppendJSONPing(frameBuf(16)), opText),
		protoMsgpack: finishFrame(hubproto.AppendMsgpackPing(frameBuf(16)), opBinary),
	}
	normalCloseFrame = closeFrame(1000)
)

// invocationFrame encodes a send for protocol p; REST arguments are JSON
// and are converted once for MessagePack.
func invocationFrame(p proto, target string, args json.RawMessage) ([]byte, error) {
	b := frameBuf(len(target) + len(args) + 48)
	if p == protoMsgpack {
		mp, err := hubproto.JSONToMsgpack(nil, args)
		if err != nil {
			return nil, err
		}
		return finishFrame(hubproto.AppendMsgpackInvocation(b, target, mp), opBinary), nil
	}
	return finishFrame(hubproto.AppendJSONInvocation(b, target, args), opText), nil
}

// closeMessageFrame encodes a hub protocol Close message.
func closeMessageFrame(p proto, errText string, allowReconnect bool) []byte {
	b := frameBuf(len(errText) + 48)
	if p == protoMsgpack {
		return finishFrame(hubproto.AppendMsgpackClose(b, errText, allowReconnect), opBinary)
	}
	return finishFrame(hubproto.AppendJSONClose(b, errText, allowReconnect), opText)
}

// completionErrorFrame encodes a Completion carrying an error.
func completionErrorFrame(p proto, invocationID, errText string) []byte {
	b := frameBuf(len(errText) + len(invocationID) + 48)
	if p == protoMsgpack {
		return finishFrame(hubproto.AppendMsgpackCompletion(b, invocationID, errText, nil), opBinary)
	}
	return finishFrame(hubproto.AppendJSONCompletion(b, invocationID, errText, nil), opText)
}

// perProto builds a frame at most once per protocol: the bytes of one
// broadcast are shared by every recipient of the same protocol.
type perProto struct {
	frames [numProtos][]byte
	build  func(proto) []byte
}

func (pp *perProto) get(p proto) []byte {
	if pp.frames[p] == nil {
		pp.frames[p] = pp.build(p)
	}
	return pp.frames[p]
}
