package hubproto

// Codec is one hub protocol wire format: [JSON] or [MessagePack].
// Implementations are stateless and safe for concurrent use.
type Codec interface {
	// Name returns the protocol name used in the handshake ("json",
	// "messagepack").
	Name() string

	// Version returns the highest supported protocol version (2 for both).
	// Versions 1 through Version are accepted in the handshake.
	Version() int

	// Binary reports whether records travel in binary frames (false for
	// JSON, which uses text frames; true for MessagePack).
	Binary() bool

	// Decode parses every complete record in data. rest holds a trailing
	// incomplete record and aliases data (nil if there is none). A record
	// that fails to parse stops decoding with ErrInvalidMessage wrapped with
	// the detail; the messages decoded before it are still returned, and
	// rest is nil. A message of an unknown type is returned with its Type and
	// Raw and no other fields; callers ignore it. Every decoded message has
	// Raw set to its record. Decode is linear in len(data) and never panics.
	Decode(data []byte) (msgs []Message, rest []byte, err error)

	// Append encodes m as one complete record (JSON: an object followed by
	// RecordSeparator; MessagePack: a VarInt length prefix and an array) and
	// appends it to dst. It validates m as Decode would, the value fields
	// included, and returns dst unchanged with an error if m is not a valid
	// message. It ignores m.Raw. Every message Decode returns re-encodes
	// without error, to a record that decodes to the same message (Raw
	// aside).
	Append(dst []byte, m *Message) ([]byte, error)
}
