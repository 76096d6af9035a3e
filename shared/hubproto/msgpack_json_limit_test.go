package hubproto

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

// A MessagePack string of control characters grows sixfold as JSON: the
// bounded conversion refuses it before writing it, so its cost stays near
// the limit, not six times the input.
func TestMsgpackToJSONLimitRefusesBeforeGrowing(t *testing.T) {
	const limit = 64 << 10
	n := 1 << 20
	v := append([]byte{0xdb, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, []byte(strings.Repeat("\x01", n))...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := MsgpackToJSONLimit(nil, v, limit)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrJSONTooLarge) {
		t.Fatalf("err = %v, want ErrJSONTooLarge", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 2*limit {
		t.Fatalf("refusing a %d-byte string allocated %d bytes; want at most %d", n, grew, 2*limit)
	}
	// Without a bound the same value converts to 6n bytes.
	if j, err := MsgpackToJSON(nil, v); err != nil || len(j) != 6*n+2 {
		t.Fatalf("unbounded: %d bytes, %v; want %d", len(j), err, 6*n+2)
	}
}

// jsonStringLen is what appendJSONString writes, byte for byte.
func TestJSONStringLen(t *testing.T) {
	for _, s := range []string{"", "a", `"\`, "\n\r\t\x00\x1f", "é€😀", "\u2028\u2029", "\xff\xc3", "a\xe2\x82", strings.Repeat("<x>", 100)} {
		if got, want := jsonStringLen([]byte(s)), len(appendJSONString(nil, s)); got != want {
			t.Errorf("jsonStringLen(%q) = %d, want %d", s, got, want)
		}
	}
}

// FuzzJSONStringLen keeps jsonStringLen equal to appendJSONString.
func FuzzJSONStringLen(f *testing.F) {
	f.Add([]byte("\x01\xff\u2028\"x"))
	f.Fuzz(func(t *testing.T, s []byte) {
		if got, want := jsonStringLen(s), len(appendJSONString(nil, s)); got != want {
			t.Fatalf("jsonStringLen(%q) = %d, want %d", s, got, want)
		}
	})
}
