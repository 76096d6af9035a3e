package hubproto

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
)

// maxPrealloc caps the messages Decode allocates room for before decoding
// them.
const maxPrealloc = 64

// maxPreallocItems caps the room decoders make for the elements of a map or
// array (headers, streamIds, payload maps) before reading them. A declared
// count is at most the bytes left in the record, yet an element takes a byte
// on the wire and tens in memory: sized from the count, a 1 MB record
// declaring a large map would cost tens of MB before its first entry fails.
// Past this, containers grow with the elements actually read.
const maxPreallocItems = 16

// JSON is the JSON hub protocol ("json", versions 1 and 2, text frames).
var JSON Codec = jsonCodec{}

var _ Codec = jsonCodec{}

// jsonCodec implements Codec for the JSON encoding of HubProtocol.md.
type jsonCodec struct{}

// Name returns "json", the protocol name clients put in the handshake.
func (jsonCodec) Name() string { return "json" }

// Version returns 2, the highest JSON protocol version; 1 is accepted too.
func (jsonCodec) Version() int { return 2 }

// Binary returns false: JSON travels in text frames.
func (jsonCodec) Binary() bool { return false }

// Decode parses every complete record in data. See Codec.Decode.
func (jsonCodec) Decode(data []byte) (msgs []Message, rest []byte, err error) {
	n := bytes.Count(data, []byte{RecordSeparator})
	if n == 0 {
		if len(data) == 0 {
			return nil, nil, nil
		}
		return nil, data, nil
	}
	// The capacity is capped so that a frame of empty records cannot make
	// Decode allocate much before it fails.
	msgs = make([]Message, 0, min(n, maxPrealloc))
	for i := range n {
		end := bytes.IndexByte(data, RecordSeparator)
		msgs = append(msgs, Message{})
		if err := decodeJSONRecord(data[:end], &msgs[i]); err != nil {
			return msgs[:i:i], nil, invalid("record "+strconv.Itoa(i), err)
		}
		data = data[end+1:]
	}
	if len(data) == 0 {
		data = nil
	}
	return msgs, data, nil
}

// Append encodes m as one JSON record. See Codec.Append.
func (jsonCodec) Append(dst []byte, m *Message) ([]byte, error) {
	return appendJSONMessage(dst, m)
}

// DecodeJSONMessage decodes a single JSON hub message: one JSON object,
// optionally followed by one RecordSeparator. It serves unframed bodies (such
// as upstream requests) and callers that split records themselves. Errors
// wrap ErrInvalidMessage. As with Decode, a message of an unknown type comes
// back with only its Type set.
func DecodeJSONMessage(b []byte) (Message, error) {
	if n := len(b); n > 0 && b[n-1] == RecordSeparator {
		b = b[:n-1]
	}
	var m Message
	if err := decodeJSONRecord(b, &m); err != nil {
		return Message{}, invalid("", err)
	}
	return m, nil
}

// decodeJSONRecord decodes one record (without its separator) into m, which
// then owns a copy of it in Raw.
func decodeJSONRecord(rec []byte, m *Message) error {
	raw := clone(rec)
	if err := decodeJSON(raw, m); err != nil {
		return err
	}
	m.Raw = raw
	return nil
}

// jsonFields collects the known properties of one record before the message
// type decides which of them matter.
type jsonFields struct {
	typ                           int64
	invocationID, target, errText string
	args, item, result            []byte
	streamIDs                     []string
	headers                       map[string]string
	sequenceID                    int64
	allowReconnect                bool
	hasType, hasArgs, hasItem     bool
	hasResult, hasError, hasSeqID bool
}

// decodeJSON decodes one record (without its separator) into m. The value
// fields of m are subslices of rec, which the caller must own.
func decodeJSON(rec []byte, m *Message) error {
	it, err := recordObject(rec)
	if err != nil {
		return err
	}
	var f jsonFields
	for {
		key, val, ok := it.next()
		if !ok {
			break
		}
		if err := f.set(key, val); err != nil {
			return err
		}
	}
	if err := it.finish(); err != nil {
		return err
	}
	if !f.hasType {
		return detailf("missing required property 'type'")
	}
	return f.message(m)
}

// set records one property; unknown properties are ignored.
func (f *jsonFields) set(key, val []byte) error {
	var err error
	switch name := keyName(key); string(name) {
	case "type":
		f.typ, err = intProp(val, "type", math.MinInt32, math.MaxInt32)
		f.hasType = true
	case "invocationId":
		f.invocationID, err = stringProp(val, "invocationId")
	case "target":
		f.target, err = stringProp(val, "target")
	case "error":
		f.errText, err = stringProp(val, "error")
		f.hasError = true
	case "arguments":
		if val[0] != '[' {
			return detailf("expected 'arguments' to be an array")
		}
		f.args, f.hasArgs = val, true
	case "item":
		f.item, f.hasItem = val, true
	case "result":
		f.result, f.hasResult = val, true
	case "streamIds":
		f.streamIDs, err = streamIDsProp(val)
	case "headers":
		f.headers, err = headersProp(val)
	case "allowReconnect":
		switch string(val) {
		case "true":
			f.allowReconnect = true
		case "false":
			f.allowReconnect = false
		default:
			return detailf("expected 'allowReconnect' to be a boolean")
		}
	case "sequenceId":
		f.sequenceID, err = intProp(val, "sequenceId", math.MinInt64, math.MaxInt64)
		f.hasSeqID = true
	}
	return err
}

// message validates the collected properties for the message type and fills
// m with the ones that type uses.
func (f *jsonFields) message(m *Message) error {
	t := MessageType(f.typ)
	*m = Message{Type: t}
	if !t.Known() {
		return nil
	}
	if t <= TypeCancelInvocation {
		m.Headers = f.headers
	}
	switch t {
	case TypeInvocation, TypeStreamInvocation:
		if t == TypeStreamInvocation && f.invocationID == "" {
			return missing("invocationId")
		}
		if f.target == "" {
			return missing("target")
		}
		if !f.hasArgs {
			return missing("arguments")
		}
		m.InvocationID = f.invocationID
		m.Target = f.target
		m.Arguments = capped(f.args)
		m.StreamIDs = f.streamIDs
	case TypeStreamItem:
		if f.invocationID == "" {
			return missing("invocationId")
		}
		if !f.hasItem {
			return missing("item")
		}
		m.InvocationID = f.invocationID
		m.Item = capped(f.item)
	case TypeCompletion:
		if f.invocationID == "" {
			return missing("invocationId")
		}
		if f.hasError && f.hasResult {
			return detailf("the 'error' and 'result' properties are mutually exclusive")
		}
		m.InvocationID = f.invocationID
		m.Error = f.errText
		m.HasResult = f.hasResult
		m.Result = capped(f.result)
	case TypeCancelInvocation:
		if f.invocationID == "" {
			return missing("invocationId")
		}
		m.InvocationID = f.invocationID
	case TypeClose:
		m.Error = f.errText
		m.AllowReconnect = f.allowReconnect
	case TypeAck, TypeSequence:
		if !f.hasSeqID {
			return missing("sequenceId")
		}
		m.SequenceID = f.sequenceID
	}
	return nil
}

func missing(name string) error {
	return detailf("missing required property '%s'", name)
}

// clone copies a record so that the message does not alias the input.
func clone(raw []byte) []byte {
	if raw == nil {
		return nil
	}
	return append(make([]byte, 0, len(raw)), raw...)
}

// capped returns raw with its capacity cut to its length, so that appending
// to one value field cannot overwrite the rest of the record.
func capped(raw []byte) json.RawMessage {
	if raw == nil {
		return nil
	}
	return raw[:len(raw):len(raw)]
}

// stringProp decodes a property that must be a JSON string.
func stringProp(val []byte, name string) (string, error) {
	if val[0] != '"' {
		return "", detailf("expected '%s' to be a string", name)
	}
	return unquote(val), nil
}

// intProp decodes a property that must be an integer in [minVal, maxVal].
func intProp(val []byte, name string, minVal, maxVal int64) (int64, error) {
	n, ok := parseInt(val, minVal, maxVal)
	if !ok {
		return 0, detailf("expected '%s' to be an integer", name)
	}
	return n, nil
}

// streamIDsProp decodes an array of strings; an empty array decodes as nil.
func streamIDsProp(val []byte) ([]string, error) {
	it, ok := newArrayIter(val, 0, 1)
	if !ok {
		return nil, detailf("expected 'streamIds' to be an array")
	}
	var ids []string
	for {
		el, ok := it.next()
		if !ok {
			return ids, nil
		}
		if el[0] != '"' {
			return nil, detailf("expected 'streamIds' to hold strings")
		}
		ids = append(ids, unquote(el))
	}
}

// headersProp decodes an object of string values; an empty object decodes as
// nil. A repeated header name keeps its last value.
func headersProp(val []byte) (map[string]string, error) {
	it, ok := newObjectIter(val, 0, 1)
	if !ok {
		return nil, detailf("expected 'headers' to be an object")
	}
	var h map[string]string
	for {
		key, v, ok := it.next()
		if !ok {
			return h, nil
		}
		if v[0] != '"' {
			return nil, detailf("expected header values to be strings")
		}
		if h == nil {
			h = make(map[string]string)
		}
		h[unquote(key)] = unquote(v)
	}
}
