package hubproto

import (
	"encoding/binary"
	"encoding/hex"
	"strings"
)

// hx decodes hex bytes written with optional spaces: "91 06".
func hx(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// framed prefixes a MessagePack record body with its VarInt length.
func framed(body []byte) []byte {
	return append(binary.AppendUvarint(nil, uint64(len(body))), body...)
}
