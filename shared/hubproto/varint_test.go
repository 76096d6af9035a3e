package hubproto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func TestVarInt(t *testing.T) {
	tests := []struct {
		n   int
		enc string
	}{
		{0, "00"},
		{1, "01"},
		{53, "35"},
		{127, "7f"},
		{128, "80 01"},
		{5248, "80 29"}, // the example of HubProtocol.md
		{16383, "ff 7f"},
		{16384, "80 80 01"},
		{1<<21 - 1, "ff ff 7f"},
		{1 << 21, "80 80 80 01"},
		{1<<28 - 1, "ff ff ff 7f"},
		{1 << 28, "80 80 80 80 01"},
		{MaxMsgpackRecordSize, "ff ff ff ff 07"},
	}
	for _, tt := range tests {
		enc := hx(tt.enc)
		if got := binary.AppendUvarint(nil, uint64(tt.n)); !bytes.Equal(got, enc) {
			t.Errorf("AppendUvarint(%d) = % x, want %s", tt.n, got, tt.enc)
		}
		n, k, err := readVarInt(append(enc, 0xAA))
		if n != tt.n || k != len(enc) || err != nil {
			t.Errorf("readVarInt(%s) = %d, %d, %v", tt.enc, n, k, err)
		}
		for i := range len(enc) { // every truncation needs more bytes
			if n, k, err := readVarInt(enc[:i]); k != 0 || err != nil {
				t.Errorf("readVarInt(%x) = %d, %d, %v; want incomplete", enc[:i], n, k, err)
			}
		}
		size, err := MsgpackRecordSize(enc)
		if size != len(enc)+tt.n || err != nil {
			t.Errorf("MsgpackRecordSize(%s) = %d, %v", tt.enc, size, err)
		}
	}
}

func TestVarIntInvalid(t *testing.T) {
	for _, enc := range []string{
		"ff ff ff ff 08",    // 2^31
		"ff ff ff ff 0f",    // 2^32 - 1
		"80 80 80 80 80",    // a sixth byte announced
		"80 80 80 80 80 01", // six bytes
		"ff ff ff ff ff 01",
	} {
		if n, k, err := readVarInt(hx(enc)); err == nil {
			t.Errorf("readVarInt(%s) = %d, %d, want error", enc, n, k)
		}
		if _, err := MsgpackRecordSize(hx(enc)); !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("MsgpackRecordSize(%s) err = %v", enc, err)
		}
	}
	for _, enc := range []string{"", "80", "ff ff ff ff"} {
		if _, err := MsgpackRecordSize(hx(enc)); !errors.Is(err, ErrIncomplete) {
			t.Errorf("MsgpackRecordSize(%q) err = %v, want ErrIncomplete", enc, err)
		}
	}
	// Overlong encodings of small values are accepted, as the reference
	// parsers accept them.
	if n, k, err := readVarInt(hx("80 80 00")); n != 0 || k != 3 || err != nil {
		t.Errorf("overlong zero = %d, %d, %v", n, k, err)
	}
}

func TestFinishRecord(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 16383, 16384, 1 << 21} {
		dst := recordStart([]byte("pre"))
		dst = append(dst, bytes.Repeat([]byte{0x91}, n)...)
		got, ok := finishRecord(dst, 3)
		want := append(append([]byte("pre"), binary.AppendUvarint(nil, uint64(n))...), bytes.Repeat([]byte{0x91}, n)...)
		if !ok || !bytes.Equal(got, want) {
			t.Errorf("finishRecord with %d body bytes: ok %v, prefix % x", n, ok, got[3:min(len(got), 8)])
		}
	}
}

// BenchmarkVarInt reads and writes the length prefixes of a 300-byte and a
// 70,000-byte record.
func BenchmarkVarInt(b *testing.B) {
	rec := make([]byte, 0, 70100)
	b.ReportAllocs()
	for b.Loop() {
		for _, n := range [...]int{300, 70000} {
			rec = recordStart(rec[:0])
			rec = rec[:maxVarIntLen+n]
			rec, _ = finishRecord(rec, 0)
			if m, _, err := readVarInt(rec); m != n || err != nil {
				b.Fatal(m, err)
			}
		}
	}
}
