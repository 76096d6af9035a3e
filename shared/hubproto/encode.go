package hubproto

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// AppendJSONInvocation appends a non-blocking Invocation record,
// {"type":1,"target":...,"arguments":...} followed by RecordSeparator.
// Nil or empty args encode as []. args is written as given: it must be a
// valid JSON array (which cannot contain a raw 0x1E); the caller vouches
// for it, typically because it came out of a JSON decoder or encoder.
func AppendJSONInvocation(dst []byte, target string, args json.RawMessage) []byte {
	dst = append(dst, `{"type":1,"target":`...)
	dst = appendJSONString(dst, target)
	dst = append(dst, `,"arguments":`...)
	if len(args) == 0 {
		dst = append(dst, "[]"...)
	} else {
		dst = append(dst, args...)
	}
	return append(dst, '}', RecordSeparator)
}

// AppendJSONPing appends the Ping record {"type":6} followed by
// RecordSeparator.
func AppendJSONPing(dst []byte) []byte {
	return append(dst, `{"type":6}`+string(RecordSeparator)...)
}

// AppendJSONClose appends a Close record. The "error" property is omitted
// when errText is "", and "allowReconnect" is written only when true.
func AppendJSONClose(dst []byte, errText string, allowReconnect bool) []byte {
	dst = append(dst, `{"type":7`...)
	if errText != "" {
		dst = append(dst, `,"error":`...)
		dst = appendJSONString(dst, errText)
	}
	if allowReconnect {
		dst = append(dst, `,"allowReconnect":true`...)
	}
	return append(dst, '}', RecordSeparator)
}

// AppendJSONCompletion appends a Completion record for invocationID. It
// carries "error" when errText is not "", else "result" when result is not
// empty (pass json.RawMessage("null") for a null result), else neither (a
// void completion). result is written as given and must be one valid JSON
// value.
func AppendJSONCompletion(dst []byte, invocationID, errText string, result json.RawMessage) []byte {
	dst = append(dst, `{"type":3,"invocationId":`...)
	dst = appendJSONString(dst, invocationID)
	switch {
	case errText != "":
		dst = append(dst, `,"error":`...)
		dst = appendJSONString(dst, errText)
	case len(result) > 0:
		dst = append(dst, `,"result":`...)
		dst = append(dst, result...)
	}
	return append(dst, '}', RecordSeparator)
}

// appendJSONMessage is the validated encoder behind JSON.Append. On error dst
// is returned unchanged.
func appendJSONMessage(dst []byte, m *Message) ([]byte, error) {
	if m == nil {
		return dst, errors.New("hubproto: nil message")
	}
	if err := validateMessage(m, isRawValue, isJSONArray); err != nil {
		return dst, fmt.Errorf("hubproto: encode %v: %w", m.Type, err)
	}
	dst = append(dst, `{"type":`...)
	dst = strconv.AppendInt(dst, int64(m.Type), 10)
	if m.Type.Known() && m.Type <= TypeCancelInvocation && len(m.Headers) > 0 {
		dst = appendHeaders(dst, m.Headers)
	}
	switch m.Type {
	case TypeInvocation, TypeStreamInvocation:
		if m.InvocationID != "" {
			dst = appendProp(dst, "invocationId", m.InvocationID)
		}
		dst = appendProp(dst, "target", m.Target)
		dst = append(dst, `,"arguments":`...)
		if len(m.Arguments) == 0 {
			dst = append(dst, "[]"...)
		} else {
			dst = append(dst, m.Arguments...)
		}
		if len(m.StreamIDs) > 0 {
			dst = append(dst, `,"streamIds":[`...)
			for i, id := range m.StreamIDs {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendJSONString(dst, id)
			}
			dst = append(dst, ']')
		}
	case TypeStreamItem:
		dst = appendProp(dst, "invocationId", m.InvocationID)
		dst = append(dst, `,"item":`...)
		dst = appendRaw(dst, m.Item)
	case TypeCompletion:
		dst = appendProp(dst, "invocationId", m.InvocationID)
		switch {
		case m.Error != "":
			dst = appendProp(dst, "error", m.Error)
		case m.HasResult || len(m.Result) > 0:
			dst = append(dst, `,"result":`...)
			dst = appendRaw(dst, m.Result)
		}
	case TypeCancelInvocation:
		dst = appendProp(dst, "invocationId", m.InvocationID)
	case TypeClose:
		if m.Error != "" {
			dst = appendProp(dst, "error", m.Error)
		}
		if m.AllowReconnect {
			dst = append(dst, `,"allowReconnect":true`...)
		}
	case TypeAck, TypeSequence:
		dst = append(dst, `,"sequenceId":`...)
		dst = strconv.AppendInt(dst, m.SequenceID, 10)
	}
	return append(dst, '}', RecordSeparator), nil
}

// validateMessage applies the rules Decode enforces, so that every record
// Append writes is one Decode accepts. isValue and isArray check the value
// fields in the codec's own encoding.
func validateMessage(m *Message, isValue, isArray func([]byte) bool) error {
	switch m.Type {
	case TypeInvocation, TypeStreamInvocation:
		if m.Type == TypeStreamInvocation && m.InvocationID == "" {
			return errors.New("invocation ID is required")
		}
		if m.Target == "" {
			return errors.New("target is required")
		}
		if len(m.Arguments) > 0 && !isArray(m.Arguments) {
			return errors.New("arguments are not one array")
		}
	case TypeStreamItem:
		if m.InvocationID == "" {
			return errors.New("invocation ID is required")
		}
		if len(m.Item) > 0 && !isValue(m.Item) {
			return errors.New("item is not one valid value")
		}
	case TypeCompletion:
		if m.InvocationID == "" {
			return errors.New("invocation ID is required")
		}
		if m.Error != "" && (m.HasResult || len(m.Result) > 0) {
			return errors.New("error and result are mutually exclusive")
		}
		if len(m.Result) > 0 && !isValue(m.Result) {
			return errors.New("result is not one valid value")
		}
	case TypeCancelInvocation:
		if m.InvocationID == "" {
			return errors.New("invocation ID is required")
		}
	}
	if m.Type < math.MinInt32 || m.Type > math.MaxInt32 {
		return errors.New("type out of range")
	}
	return nil
}

// isRawValue reports whether raw can be embedded as a property value of a
// record that Decode accepts: one valid JSON value in valid UTF-8.
func isRawValue(raw []byte) bool {
	i := skipSpace(raw, 0)
	end := scanValue(raw, i, 1) // the record's object is one level
	return end >= 0 && skipSpace(raw, end) == len(raw) && utf8.Valid(raw)
}

// isJSONArray reports whether raw is a valid raw value that is an array.
func isJSONArray(raw []byte) bool {
	i := skipSpace(raw, 0)
	return i < len(raw) && raw[i] == '[' && isRawValue(raw)
}

// appendRaw appends a raw JSON value, or null when it is empty.
func appendRaw(dst, raw []byte) []byte {
	if len(raw) == 0 {
		return append(dst, "null"...)
	}
	return append(dst, raw...)
}

// appendProp appends ,"name":"value" with value escaped.
func appendProp(dst []byte, name, value string) []byte {
	dst = append(dst, `,"`...)
	dst = append(dst, name...)
	dst = append(dst, `":`...)
	return appendJSONString(dst, value)
}

// appendHeaders appends ,"headers":{...} with the names in sorted order, so
// that the output is deterministic.
func appendHeaders(dst []byte, h map[string]string) []byte {
	dst = append(dst, `,"headers":{`...)
	for i, k := range slices.Sorted(maps.Keys(h)) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		dst = appendJSONString(dst, h[k])
	}
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string literal. It escapes '"', '\\',
// control characters, U+2028 and U+2029 (which some JavaScript parsers reject
// in strings), and replaces invalid UTF-8 with U+FFFD. HTML characters are
// not escaped. It takes text as a string or as bytes, without converting.
func appendJSONString[S ~string | ~[]byte](dst []byte, s S) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		// At most 4 bytes: the conversion needs no allocation.
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
