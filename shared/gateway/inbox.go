package gateway

import (
	"bytes"
	"errors"

	"github.com/heraldrt/herald/shared/hubproto"
)

// inbox holds what a client sent that does not yet make a complete record:
// the handshake, or the hub messages of its protocol. It decides whether a
// complete record may be there in time linear in the bytes received, so that
// a record sent one byte at a time costs no more than one sent whole: the
// bytes already searched for a record separator are not searched again, and
// the records are decoded only once one is complete.
type inbox struct {
	buf     []byte
	scanned int // buf[:scanned] holds no RecordSeparator
}

// add appends p. The inbox takes p itself when it was empty, so p must not
// be modified afterwards.
func (in *inbox) add(p []byte) {
	if len(in.buf) == 0 {
		in.buf, in.scanned = p, 0
		return
	}
	in.buf = append(in.buf, p...)
}

// hasSeparator reports whether the inbox holds a RecordSeparator, searching
// only the bytes added since the last search: a JSON record (or the
// handshake) is complete.
func (in *inbox) hasSeparator() bool {
	if bytes.IndexByte(in.buf[in.scanned:], hubproto.RecordSeparator) >= 0 {
		return true
	}
	in.scanned = len(in.buf)
	return false
}

// ready reports whether a complete record of protocol p may be in the inbox,
// so that decoding it is worth doing. For MessagePack it also says so for an
// invalid length prefix, which decoding reports. It returns errTooLarge once
// the incomplete record is known to exceed limit bytes.
func (in *inbox) ready(p proto, limit int) (bool, error) {
	if len(in.buf) == 0 {
		return false, nil
	}
	if p == protoMsgpack {
		n, err := hubproto.MsgpackRecordSize(in.buf)
		switch {
		case errors.Is(err, hubproto.ErrIncomplete):
			return false, nil
		case err != nil:
			return true, nil
		case n > limit:
			return false, errTooLarge
		}
		return n <= len(in.buf), nil
	}
	if in.hasSeparator() {
		return true, nil
	}
	if len(in.buf) > limit {
		return false, errTooLarge
	}
	return false, nil
}

// keep replaces the inbox with rest, the tail of what it held that is left
// after decoding. A tail that is small beside its buffer is copied out, so
// a stray byte after a large body does not keep the whole body alive;
// otherwise rest stays in the buffer it is a tail of. rest is searched
// again once (after a handshake it may hold complete records), so each byte
// is still searched a bounded number of times.
func (in *inbox) keep(rest []byte) {
	switch {
	case len(rest) == 0:
		rest = nil
	case cap(in.buf) > 4*len(rest)+readChunk:
		rest = bytes.Clone(rest)
	}
	in.buf, in.scanned = rest, 0
}
