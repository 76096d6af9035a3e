package hubproto

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/tinylib/msgp/msgp"
)

// MessagePack is the MessagePack hub protocol ("messagepack", versions 1 and
// 2, binary frames). Each record is a VarInt length prefix followed by one
// MessagePack array; the value fields of its messages (Arguments, Item,
// Result) hold MessagePack bytes.
var MessagePack Codec = msgpackCodec{}

var _ Codec = msgpackCodec{}

// msgpackCodec implements Codec for the MessagePack encoding of
// HubProtocol.md.
type msgpackCodec struct{}

// Name returns "messagepack", the protocol name clients put in the handshake.
func (msgpackCodec) Name() string { return "messagepack" }

// Version returns 2, the highest MessagePack protocol version; 1 is accepted
// too.
func (msgpackCodec) Version() int { return 2 }

// Binary returns true: MessagePack travels in binary frames.
func (msgpackCodec) Binary() bool { return true }

// Decode parses every complete record in data. See Codec.Decode. A length
// prefix that is invalid (longer than five bytes, or declaring more than
// MaxMsgpackRecordSize) or declares an empty record is an invalid record.
func (msgpackCodec) Decode(data []byte) (msgs []Message, rest []byte, err error) {
	// Count the complete records first, so that msgs is usually allocated
	// once; the capacity is capped so that a frame of tiny invalid records
	// cannot make Decode allocate much before it fails.
	n, end := 0, 0
	for end < len(data) {
		size, k, err := readVarInt(data[end:])
		if err != nil || k == 0 || size == 0 || len(data)-end-k < size {
			break
		}
		end += k + size
		n++
	}
	for i := 0; i < len(data); {
		size, k, perr := readVarInt(data[i:])
		switch {
		case perr != nil:
			return msgs, nil, invalid("record "+strconv.Itoa(len(msgs)), perr)
		case k == 0 || len(data)-i-k < size:
			return msgs, data[i:], nil
		}
		if msgs == nil {
			msgs = make([]Message, 0, min(max(n, 1), maxPrealloc))
		}
		msgs = append(msgs, Message{})
		if err := decodeMsgpackRecord(data[i+k:i+k+size], &msgs[len(msgs)-1]); err != nil {
			j := len(msgs) - 1
			return msgs[:j:j], nil, invalid("record "+strconv.Itoa(j), err)
		}
		i += k + size
	}
	return msgs, nil, nil
}

// Append encodes m as one MessagePack record. See Codec.Append.
func (msgpackCodec) Append(dst []byte, m *Message) ([]byte, error) {
	if m == nil {
		return dst, errors.New("hubproto: nil message")
	}
	if err := validateMessage(m, isMsgpackValue, isMsgpackArray); err != nil {
		return dst, fmt.Errorf("hubproto: encode %v: %w", m.Type, err)
	}
	start := len(dst)
	dst = appendMsgpackBody(recordStart(dst), m)
	dst, ok := finishRecord(dst, start)
	if !ok {
		return dst, fmt.Errorf("hubproto: encode %v: %w", m.Type, ErrMessageTooLarge)
	}
	return dst, nil
}

// DecodeMsgpackMessage decodes a single MessagePack hub message: one
// MessagePack array without a length prefix, such as Message.Raw holds. It
// serves callers that split records themselves. Errors wrap
// ErrInvalidMessage.
func DecodeMsgpackMessage(b []byte) (Message, error) {
	var m Message
	if err := decodeMsgpackRecord(b, &m); err != nil {
		return Message{}, invalid("", err)
	}
	return m, nil
}

// decodeMsgpackRecord decodes the body of one record into m, which then owns
// a copy of it in Raw.
func decodeMsgpackRecord(body []byte, m *Message) error {
	if len(body) == 0 {
		return detailf("empty record")
	}
	raw := clone(body)
	if err := decodeMsgpack(raw, m); err != nil {
		return err
	}
	m.Raw = raw
	return nil
}

// decodeMsgpack decodes one message array. The value fields of m are
// subslices of rec, which the caller must own.
func decodeMsgpack(rec []byte, m *Message) error {
	r := mpReader{b: rec}
	n, err := r.header("message", mpArray)
	if err != nil {
		return err
	}
	if n == 0 {
		return detailf("empty message array")
	}
	typ, err := r.integer("type", math.MinInt32, math.MaxInt32)
	if err != nil {
		return err
	}
	t := MessageType(typ)
	*m = Message{Type: t}
	used, err := decodeMsgpackFields(&r, m, n)
	if err != nil {
		return err
	}
	// Later protocol versions may append elements: skip them, validated.
	if err := r.skip(n - used); err != nil {
		return err
	}
	if r.i != len(rec) {
		return detailf("%d bytes after the message array", len(rec)-r.i)
	}
	return nil
}

// decodeMsgpackFields reads the elements after the type of a message array
// of n elements into m and returns how many elements it read, the type
// included.
func decodeMsgpackFields(r *mpReader, m *Message, n int) (used int, err error) {
	t := m.Type
	if least := minElements(t); n < least {
		return 0, detailf("%v message has %d elements, want at least %d", t, n, least)
	}
	if t >= TypeInvocation && t <= TypeCancelInvocation {
		if m.Headers, err = r.headers(); err != nil {
			return 0, err
		}
		idOptional := t == TypeInvocation
		if m.InvocationID, err = r.text("invocationId", true); err != nil {
			return 0, err
		}
		if m.InvocationID == "" && !idOptional {
			return 0, missing("invocationId")
		}
	}
	switch t {
	case TypeInvocation, TypeStreamInvocation:
		if m.Target, err = r.text("target", false); err != nil {
			return 0, err
		}
		if m.Target == "" {
			return 0, missing("target")
		}
		if err := r.peek("arguments", mpArray); err != nil {
			return 0, err
		}
		if m.Arguments, err = r.raw("arguments"); err != nil {
			return 0, err
		}
		if n == 5 {
			return 5, nil
		}
		m.StreamIDs, err = r.streamIDs()
		return 6, err
	case TypeStreamItem:
		m.Item, err = r.raw("item")
		return 4, err
	case TypeCompletion:
		kind, err := r.integer("resultKind", math.MinInt32, math.MaxInt32)
		if err != nil {
			return 0, err
		}
		switch kind {
		case 1:
			if n < 5 {
				return 0, missing("error")
			}
			m.Error, err = r.text("error", true)
			return 5, err
		case 2:
			return 4, nil
		case 3:
			if n < 5 {
				return 0, missing("result")
			}
			m.HasResult = true
			m.Result, err = r.raw("result")
			return 5, err
		}
		return 0, detailf("invalid resultKind %d", kind)
	case TypeCancelInvocation:
		return 3, nil
	case TypeClose:
		if m.Error, err = r.text("error", true); err != nil || n == 2 {
			return 2, err
		}
		m.AllowReconnect, err = r.boolean("allowReconnect")
		return 3, err
	case TypeAck, TypeSequence:
		m.SequenceID, err = r.integer("sequenceId", math.MinInt64, math.MaxInt64)
		return 2, err
	}
	return 1, nil // Ping; unknown types keep only their Type
}

// minElements returns the least number of elements a message array of type
// t has, the type included.
func minElements(t MessageType) int {
	switch t {
	case TypeInvocation, TypeStreamInvocation:
		return 5
	case TypeStreamItem, TypeCompletion:
		return 4
	case TypeCancelInvocation:
		return 3
	case TypeClose, TypeAck, TypeSequence:
		return 2
	}
	return 1
}

// peek checks that the next value is of the given kind without consuming it.
func (r *mpReader) peek(what string, kind mpKind) error {
	t, _, err := mpNext(r.b, r.i)
	if err != nil {
		return detailf("reading '%s': %v", what, err)
	}
	if t.kind != kind {
		return detailf("expected '%s' to be an array", what)
	}
	return nil
}

// headers reads a map of string keys to string values; an empty map reads
// as nil. A repeated key keeps its last value. The map grows with the
// entries read: the declared count sizes nothing (see maxPreallocItems).
func (r *mpReader) headers() (map[string]string, error) {
	n, err := r.header("headers", mpMap)
	if err != nil || n == 0 {
		return nil, err
	}
	h := make(map[string]string, min(n, maxPreallocItems))
	for range n {
		k, err := r.text("header name", false)
		if err != nil {
			return nil, err
		}
		if h[k], err = r.text("header value", false); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// streamIDs reads an array of strings, or nil; empty reads as nil. The
// slice grows with the strings read, like headers.
func (r *mpReader) streamIDs() ([]string, error) {
	if r.i < len(r.b) && r.b[r.i] == 0xC0 {
		r.i++
		return nil, nil
	}
	n, err := r.header("streamIds", mpArray)
	if err != nil || n == 0 {
		return nil, err
	}
	ids := make([]string, 0, min(n, maxPreallocItems))
	for range n {
		id, err := r.text("streamIds", false)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// appendMsgpackBody appends the message array of a validated m.
func appendMsgpackBody(dst []byte, m *Message) []byte {
	t := m.Type
	switch t {
	case TypeInvocation, TypeStreamInvocation:
		n := uint32(5)
		if len(m.StreamIDs) > 0 {
			n = 6
		}
		dst = msgp.AppendArrayHeader(dst, n)
		dst = appendMPInt(dst, int64(t))
		dst = appendMPHeaders(dst, m.Headers)
		dst = appendMPStringOrNil(dst, m.InvocationID)
		dst = appendMPString(dst, m.Target)
		if len(m.Arguments) == 0 {
			dst = append(dst, 0x90)
		} else {
			dst = append(dst, m.Arguments...)
		}
		if n == 6 {
			dst = msgp.AppendArrayHeader(dst, uint32(len(m.StreamIDs)))
			for _, id := range m.StreamIDs {
				dst = appendMPString(dst, id)
			}
		}
	case TypeStreamItem:
		dst = append(dst, 0x94, byte(t))
		dst = appendMPHeaders(dst, m.Headers)
		dst = appendMPString(dst, m.InvocationID)
		dst = appendMPRaw(dst, m.Item)
	case TypeCompletion:
		hasResult := m.HasResult || len(m.Result) > 0
		if m.Error != "" || hasResult {
			dst = append(dst, 0x95, byte(t))
		} else {
			dst = append(dst, 0x94, byte(t))
		}
		dst = appendMPHeaders(dst, m.Headers)
		dst = appendMPString(dst, m.InvocationID)
		switch {
		case m.Error != "":
			dst = append(dst, 1)
			dst = appendMPString(dst, m.Error)
		case hasResult:
			dst = append(dst, 3)
			dst = appendMPRaw(dst, m.Result)
		default:
			dst = append(dst, 2)
		}
	case TypeCancelInvocation:
		dst = append(dst, 0x93, byte(t))
		dst = appendMPHeaders(dst, m.Headers)
		dst = appendMPString(dst, m.InvocationID)
	case TypeClose:
		dst = append(dst, 0x93, byte(t))
		dst = appendMPStringOrNil(dst, m.Error)
		dst = msgp.AppendBool(dst, m.AllowReconnect)
	case TypeAck, TypeSequence:
		dst = append(dst, 0x92, byte(t))
		dst = appendMPInt(dst, m.SequenceID)
	default: // Ping, and unknown types: [type]
		dst = append(dst, 0x91)
		dst = appendMPInt(dst, int64(t))
	}
	return dst
}

// appendMPRaw appends a raw MessagePack value, or nil when it is empty.
func appendMPRaw(dst, raw []byte) []byte {
	if len(raw) == 0 {
		return append(dst, 0xC0)
	}
	return append(dst, raw...)
}

// appendMPHeaders appends a map of headers with the names in sorted order,
// so that the output is deterministic; no headers encode as the empty map.
func appendMPHeaders(dst []byte, h map[string]string) []byte {
	dst = msgp.AppendMapHeader(dst, uint32(len(h)))
	if len(h) == 0 {
		return dst
	}
	for _, k := range slices.Sorted(maps.Keys(h)) {
		dst = appendMPString(dst, k)
		dst = appendMPString(dst, h[k])
	}
	return dst
}
