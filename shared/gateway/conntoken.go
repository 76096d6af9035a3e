package gateway

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash"
	"time"

	"github.com/heraldrt/herald/shared/token"
)

// Connection tokens let any gateway node accept the connect request that
// follows a negotiate without shared state: the token carries the public
// connection id and an expiry, and a MAC over them bound to the hub and the
// user, keyed by a key derived from each AccessKey.
//
// Layout before base64url: kind(1) | connection id(16) | expiry unix
// seconds(8) | MAC(16), 55 characters once encoded. The kind byte, under
// the MAC, says which id the connection has: connTokenVersion, the 22
// characters of the random part (negotiate version 1, where the client
// holds the id and the token apart); connTokenSelfNamed, the whole token
// (negotiate version 0, where the client holds one connectionId, connects
// with it and is known by it everywhere: docs/decisions.md, "Version-0
// connection ids"); connTokenStateful, like connTokenVersion for a
// negotiate that granted stateful reconnect (resume.go).

const (
	connTokenVersion   = 1
	connTokenSelfNamed = 2
	connTokenStateful  = 3
	connIDBytes        = 16
	connTokenMACLen    = 16
	connTokenLen       = 1 + connIDBytes + 8 + connTokenMACLen
)

var (
	errConnTokenInvalid = errors.New("gateway: connection token is invalid")
	errConnTokenExpired = errors.New("gateway: connection token has expired")
)

// connTokens signs and verifies connection tokens.
type connTokens struct {
	keys [][]byte // derived keys; the first signs
	// macs holds, per key, HMACs keyed with it for reuse: a reset HMAC
	// starts from its saved keyed state instead of hashing the key again.
	macs []*token.KeyedMACs
}

func newConnTokens(accessKeys []string) *connTokens {
	ct := &connTokens{}
	for _, k := range accessKeys {
		m := hmac.New(sha256.New, []byte(k))
		m.Write([]byte("herald connection token v1"))
		key := m.Sum(nil)
		ct.keys = append(ct.keys, key)
		ct.macs = append(ct.macs, token.NewKeyedMACs(crypto.SHA256, key))
	}
	return ct
}

// newConnectionID returns a fresh public connection id: 16 random bytes,
// base64url without padding (22 characters), as ASP.NET Core does.
func newConnectionID() (id string, raw [connIDBytes]byte) {
	if _, err := rand.Read(raw[:]); err != nil {
		panic("gateway: crypto/rand failed: " + err.Error()) // unreachable on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(raw[:]), raw
}

// issue returns a connection token for raw id, valid until expiry; its
// connection's id is the id of raw.
func (ct *connTokens) issue(raw [connIDBytes]byte, hub, user string, expiry time.Time) string {
	return ct.sign(connTokenVersion, raw, hub, user, expiry)
}

// issueStateful is issue for a negotiate that granted stateful reconnect.
func (ct *connTokens) issueStateful(raw [connIDBytes]byte, hub, user string, expiry time.Time) string {
	return ct.sign(connTokenStateful, raw, hub, user, expiry)
}

// statefulToken reports whether tok, already verified, was issued by
// issueStateful: only its first byte is decoded.
func statefulToken(tok string) bool {
	var b [3]byte
	if len(tok) < 4 {
		return false
	}
	n, err := base64.RawURLEncoding.Decode(b[:], []byte(tok[:4]))
	return err == nil && n > 0 && b[0] == connTokenStateful
}

// issueSelfNamed returns a connection token, valid until expiry, that is
// also its connection's id (negotiate version 0).
func (ct *connTokens) issueSelfNamed(raw [connIDBytes]byte, hub, user string, expiry time.Time) string {
	return ct.sign(connTokenSelfNamed, raw, hub, user, expiry)
}

func (ct *connTokens) sign(kind byte, raw [connIDBytes]byte, hub, user string, expiry time.Time) string {
	var b [connTokenLen]byte
	b[0] = kind
	copy(b[1:], raw[:])
	binary.BigEndian.PutUint64(b[1+connIDBytes:], uint64(expiry.Unix()))
	var mac [sha256.Size]byte
	copy(b[1+connIDBytes+8:], ct.mac(&mac, 0, b[:1+connIDBytes+8], hub, user))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// verify checks tok for hub and user at now and returns the public
// connection id, also with errConnTokenExpired (an existing connection's
// later requests still name it). The id of a self-named token is its
// canonical encoding, so the variants base64url decoding accepts in the
// unused low bits of the last character name one connection, and the
// single-use claim holds for all of them.
func (ct *connTokens) verify(tok, hub, user string, now time.Time) (string, error) {
	if base64.RawURLEncoding.DecodedLen(len(tok)) != connTokenLen {
		return "", errConnTokenInvalid
	}
	var b [connTokenLen]byte
	if _, err := base64.RawURLEncoding.Decode(b[:], []byte(tok)); err != nil ||
		(b[0] != connTokenVersion && b[0] != connTokenSelfNamed && b[0] != connTokenStateful) {
		return "", errConnTokenInvalid
	}
	body, got := b[:1+connIDBytes+8], b[1+connIDBytes+8:]
	ok := false
	var mac [sha256.Size]byte
	for k := range ct.keys {
		if hmac.Equal(got, ct.mac(&mac, k, body, hub, user)) {
			ok = true
			break
		}
	}
	if !ok {
		return "", errConnTokenInvalid
	}
	id := base64.RawURLEncoding.EncodeToString(b[1 : 1+connIDBytes])
	if b[0] == connTokenSelfNamed {
		id = base64.RawURLEncoding.EncodeToString(b[:])
	}
	if exp := int64(binary.BigEndian.Uint64(b[1+connIDBytes:])); now.Unix() > exp {
		return id, errConnTokenExpired
	}
	return id, nil
}

// mac returns the MAC of body, hub and user under key k, in out.
func (ct *connTokens) mac(out *[sha256.Size]byte, k int, body []byte, hub, user string) []byte {
	m := ct.macs[k].Get()
	m.Write(body)
	writeField(m, hub)
	writeField(m, user)
	sum := m.Sum(out[:0])
	ct.macs[k].Put(m)
	return sum[:connTokenMACLen]
}

// writeField writes a length-prefixed string so fields cannot run together.
func writeField(h hash.Hash, s string) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(s)))
	h.Write(n[:])
	h.Write([]byte(s))
}
