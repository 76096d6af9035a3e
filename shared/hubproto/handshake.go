package hubproto

import (
	"bytes"
	"math"
	"strconv"
)

// HandshakeRequest is the first record a client sends:
// {"protocol":"json","version":1}.
type HandshakeRequest struct {
	// Protocol is the requested hub protocol name ("json", "messagepack").
	Protocol string
	// Version is the requested protocol version. The JavaScript client sends
	// 1, or 2 when stateful reconnect was negotiated.
	Version int
}

// ParseHandshake finds the first RecordSeparator in data and parses the
// handshake record before it. rest is what follows the separator, the start
// of normal traffic; it aliases data and is nil when nothing follows.
//
// It returns ErrIncomplete when data holds no separator yet (the caller
// buffers more, within its own limit), and ErrInvalidMessage wrapped with the
// detail for bad JSON, a missing or non-string "protocol", or a missing or
// non-integer "version". Unknown properties are ignored.
func ParseHandshake(data []byte) (req HandshakeRequest, rest []byte, err error) {
	end := bytes.IndexByte(data, RecordSeparator)
	if end < 0 {
		return HandshakeRequest{}, nil, ErrIncomplete
	}
	rec := data[:end]
	if end+1 < len(data) {
		rest = data[end+1:]
	}
	it, err := recordObject(rec)
	if err != nil {
		return HandshakeRequest{}, nil, invalid("handshake", err)
	}
	var hasProtocol, hasVersion bool
	for {
		key, val, ok := it.next()
		if !ok {
			break
		}
		switch string(keyName(key)) {
		case "protocol":
			req.Protocol, err = stringProp(val, "protocol")
			hasProtocol = true
		case "version":
			var v int64
			v, err = intProp(val, "version", math.MinInt32, math.MaxInt32)
			req.Version, hasVersion = int(v), true
		}
		if err != nil {
			return HandshakeRequest{}, nil, invalid("handshake", err)
		}
	}
	if err := it.finish(); err != nil {
		return HandshakeRequest{}, nil, invalid("handshake", err)
	}
	switch {
	case !hasProtocol:
		return HandshakeRequest{}, nil, invalid("handshake", missing("protocol"))
	case !hasVersion:
		return HandshakeRequest{}, nil, invalid("handshake", missing("version"))
	}
	return req, rest, nil
}

// AppendHandshakeResponse appends the handshake response: {} followed by
// RecordSeparator when errText is "", else {"error":errText} followed by
// RecordSeparator. The response is JSON text for every protocol.
func AppendHandshakeResponse(dst []byte, errText string) []byte {
	if errText == "" {
		return append(dst, '{', '}', RecordSeparator)
	}
	dst = append(dst, `{"error":`...)
	dst = appendJSONString(dst, errText)
	return append(dst, '}', RecordSeparator)
}

// SelectCodec returns the codec among codecs that serves req, or nil and the
// text to send with AppendHandshakeResponse before closing. With no codecs it
// chooses among JSON and MessagePack. Protocol names match exactly; versions 1
// through Codec.Version are accepted.
func SelectCodec(req HandshakeRequest, codecs ...Codec) (c Codec, errText string) {
	if len(codecs) == 0 {
		codecs = allCodecs[:]
	}
	for _, c := range codecs {
		if c == nil || c.Name() != req.Protocol {
			continue
		}
		if req.Version < 1 || req.Version > c.Version() {
			return nil, "The server does not support version " + strconv.Itoa(req.Version) +
				" of the '" + req.Protocol + "' protocol."
		}
		return c, ""
	}
	return nil, "Requested protocol '" + req.Protocol + "' is not available."
}

// allCodecs are the codecs SelectCodec offers by default.
var allCodecs = [...]Codec{JSON, MessagePack}
