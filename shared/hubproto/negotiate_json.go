package hubproto

import (
	"encoding/json"
	"strconv"
)

// AppendJSON appends r encoded as JSON to dst: the bytes json.Marshal
// makes of it, written without reflection (a gateway answers one negotiate
// per connection).
func (r *NegotiateResponse) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"negotiateVersion":`...)
	dst = strconv.AppendInt(dst, int64(r.NegotiateVersion), 10)
	dst = append(dst, `,"connectionId":`...)
	dst = appendMarshalString(dst, r.ConnectionID)
	if r.ConnectionToken != "" {
		dst = append(dst, `,"connectionToken":`...)
		dst = appendMarshalString(dst, r.ConnectionToken)
	}
	dst = append(dst, `,"availableTransports":`...)
	dst = appendTransports(dst, r.AvailableTransports)
	if r.UseStatefulReconnect {
		dst = append(dst, `,"useStatefulReconnect":true`...)
	}
	return append(dst, '}')
}

// appendTransports appends ts as json.Marshal encodes it.
func appendTransports(dst []byte, ts []AvailableTransport) []byte {
	if ts == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, t := range ts {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"transport":`...)
		dst = appendMarshalString(dst, t.Transport)
		dst = append(dst, `,"transferFormats":`...)
		if t.TransferFormats == nil {
			dst = append(dst, "null"...)
		} else {
			dst = append(dst, '[')
			for j, f := range t.TransferFormats {
				if j > 0 {
					dst = append(dst, ',')
				}
				dst = appendMarshalString(dst, f)
			}
			dst = append(dst, ']')
		}
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// appendMarshalString appends s as json.Marshal encodes it. Ids, tokens
// and transport names are printable ASCII that needs no escape, appended
// as they are; anything else (json.Marshal escapes more than
// appendJSONString: HTML characters too) goes through json.Marshal.
func appendMarshalString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always encodes
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
