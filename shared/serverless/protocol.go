package serverless

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/heraldrt/herald/shared/hubproto"
)

// errNoRecord reports an empty invocation body.
var errNoRecord = errors.New("empty body")

// codecOf returns the codec of a hub protocol name.
func codecOf(protocol string) (hubproto.Codec, error) {
	switch protocol {
	case ProtocolJSON:
		return hubproto.JSON, nil
	case ProtocolMessagePack:
		return hubproto.MessagePack, nil
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedProtocol, protocol)
	}
}

// decodeRecord decodes one unframed record: the JSON object without its
// separator, the MessagePack array without its length prefix
// (docs/compat/upstream.md#bodies).
func decodeRecord(codec hubproto.Codec, body []byte) (hubproto.Message, error) {
	if len(body) == 0 {
		return hubproto.Message{}, errNoRecord
	}
	framed := make([]byte, 0, len(body)+5)
	if codec.Binary() {
		framed = binary.AppendUvarint(framed, uint64(len(body)))
		framed = append(framed, body...)
	} else {
		framed = append(framed, body...)
		framed = append(framed, hubproto.RecordSeparator)
	}
	msgs, rest, err := codec.Decode(framed)
	switch {
	case err != nil:
		return hubproto.Message{}, err
	case len(msgs) != 1 || len(rest) != 0:
		return hubproto.Message{}, fmt.Errorf("the body holds %d messages, want one", len(msgs))
	}
	return msgs[0], nil
}
