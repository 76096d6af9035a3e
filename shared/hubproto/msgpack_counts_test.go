package hubproto

import (
	"encoding/binary"
	"errors"
	"runtime"
	"testing"
)

// The attack shapes of declared counts (SECURITY.md): records whose map and array headers
// declare as many elements as the record has bytes left, followed by an
// invalid first element, and a control of the same size that declares what
// it holds. They also seed the fuzz targets.

// mp32 appends a map32 (0xdf) or array32 (0xdd) header declaring n.
func mp32(dst []byte, kind byte, n int) []byte {
	return binary.BigEndian.AppendUint32(append(dst, kind), uint32(n))
}

// padTo pads body with an invalid first element (the reserved byte 0xc1),
// then zeros, to size bytes.
func padTo(body []byte, size int) []byte {
	body = append(body, 0xc1)
	return append(body, make([]byte, max(0, size-len(body)))...)
}

// hugeHeadersRecord is an Invocation whose headers map declares an entry per
// two bytes left in its size-byte body.
func hugeHeadersRecord(size int) []byte {
	body := mp32([]byte{0x95, 0x01}, 0xdf, (size-7)/2)
	return framed(padTo(body, size))
}

// hugeStreamIDsRecord is an Invocation whose streamIds array declares an
// element per byte left in its size-byte body.
func hugeStreamIDsRecord(size int) []byte {
	body := []byte{0x96, 0x01, 0x80, 0xc0, 0xa1, 't', 0x90}
	body = mp32(body, 0xdd, size-len(body)-5)
	return framed(padTo(body, size))
}

// binArgRecord is an ordinary Invocation of about size bytes: its one
// argument is a bin.
func binArgRecord(size int) []byte {
	body := []byte{0x95, 0x01, 0x80, 0xc0, 0xa1, 't', 0x91, 0xc6}
	n := size - len(body) - 4
	body = binary.BigEndian.AppendUint32(body, uint32(n))
	return framed(append(body, make([]byte, n)...))
}

// hugePayloadMap is a REST payload map declaring an entry per two bytes.
func hugePayloadMap(size int) []byte {
	return padTo(mp32(nil, 0xdf, (size-5)/2), size)
}

// smallPayloadMap is as long, declaring one entry.
func smallPayloadMap(size int) []byte {
	return padTo(mp32(nil, 0xdf, 1), size)
}

// heapBytes returns the bytes f allocates on the heap.
func heapBytes(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Decoders allocate from the data, not from declared counts (D2 of issue
// 12): a 1 MiB record declaring half a million headers or a million stream
// ids costs about what an ordinary 1 MiB message costs. Before the fix the
// headers map alone took tens of MB (10 connections sending 10 such records
// each: 856 MB RSS).
func TestMsgpackDecodeAllocatesFromData(t *testing.T) {
	const size, rounds = 1 << 20, 5
	decode := func(rec []byte, wantErr bool) func() {
		return func() {
			for range rounds {
				_, _, err := MessagePack.Decode(rec)
				if wantErr != (err != nil) || (err != nil && !errors.Is(err, ErrInvalidMessage)) {
					t.Errorf("Decode: %v (want an error: %v)", err, wantErr)
				}
			}
		}
	}
	ctl := heapBytes(decode(binArgRecord(size), false))
	for name, rec := range map[string][]byte{
		"headers":   hugeHeadersRecord(size),
		"streamIds": hugeStreamIDsRecord(size),
	} {
		att := heapBytes(decode(rec, true))
		t.Logf("%s: %d B per record, control %d B", name, att/rounds, ctl/rounds)
		if att > 2*ctl {
			t.Errorf("a record declaring huge %s allocated %d bytes, %.1f times an ordinary one's %d (want at most 2)",
				name, att/rounds, float64(att)/float64(ctl), ctl/rounds)
		}
	}
	payload := func(body []byte) func() {
		return func() {
			for range rounds {
				if _, err := ParsePayloadMap(body); !errors.Is(err, ErrInvalidMessage) {
					t.Errorf("ParsePayloadMap: %v", err)
				}
			}
		}
	}
	ctl = heapBytes(payload(smallPayloadMap(size)))
	att := heapBytes(payload(hugePayloadMap(size)))
	t.Logf("payload map: %d B per body, control %d B", att/rounds, ctl/rounds)
	if att > 2*ctl {
		t.Errorf("a payload map declaring huge counts allocated %d bytes, %.1f times the control's %d (want at most 2)",
			att/rounds, float64(att)/float64(ctl), ctl/rounds)
	}
}
