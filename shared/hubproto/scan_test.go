package hubproto

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestUnquoteMatchesEncodingJSON(t *testing.T) {
	inputs := []string{`""`, `"plain"`, `"\"\\\/\b\f\n\r\t"`, `"\u00e9\u20AC"`, `"\ud83d\ude00"`,
		`"\ud800"`, `"\udc00"`, `"\ud800\ud800"`, `"\ud800\u0041"`, `"\ud800x"`, `"x\ud83d\ude00\ud83d"`, `"é😀"`}
	for _, in := range inputs {
		var want string
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got := unquote([]byte(in)); got != want {
			t.Errorf("unquote(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		in   string
		min  int64
		max  int64
		want int64
		ok   bool
	}{
		{"0", math.MinInt64, math.MaxInt64, 0, true},
		{"-0", math.MinInt64, math.MaxInt64, 0, true},
		{"42", math.MinInt64, math.MaxInt64, 42, true},
		{"-42", math.MinInt64, math.MaxInt64, -42, true},
		{"9223372036854775807", math.MinInt64, math.MaxInt64, math.MaxInt64, true},
		{"-9223372036854775808", math.MinInt64, math.MaxInt64, math.MinInt64, true},
		{"9223372036854775808", math.MinInt64, math.MaxInt64, 0, false},
		{"-9223372036854775809", math.MinInt64, math.MaxInt64, 0, false},
		{"99999999999999999999", math.MinInt64, math.MaxInt64, 0, false},
		{"2147483647", math.MinInt32, math.MaxInt32, math.MaxInt32, true},
		{"2147483648", math.MinInt32, math.MaxInt32, 0, false},
		{"-2147483649", math.MinInt32, math.MaxInt32, 0, false},
		{"1.0", math.MinInt64, math.MaxInt64, 0, false},
		{"1e3", math.MinInt64, math.MaxInt64, 0, false},
		{"-", math.MinInt64, math.MaxInt64, 0, false},
		{"", math.MinInt64, math.MaxInt64, 0, false},
		{"true", math.MinInt64, math.MaxInt64, 0, false},
	}
	for _, tt := range tests {
		got, ok := parseInt([]byte(tt.in), tt.min, tt.max)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseInt(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestValidJSONDepth(t *testing.T) {
	for _, depth := range []int{1, 63, 64, 65, 9999, 10000, 10001} {
		for _, open := range []string{"[", `{"a":`} {
			closeCh := "]"
			if open != "[" {
				closeCh = "}"
			}
			s := []byte(strings.Repeat(open, depth) + strings.Repeat(closeCh, depth))
			if got, want := validJSON(s), json.Valid(s); got != want {
				t.Errorf("depth %d %s: validJSON = %v, json.Valid = %v", depth, open, got, want)
			}
		}
	}
	// Inside a record the top-level object counts as one level.
	args := strings.Repeat("[", 9999) + strings.Repeat("]", 9999)
	if _, err := DecodeJSONMessage([]byte(`{"type":1,"target":"a","arguments":` + args + `}`)); err != nil {
		t.Errorf("depth 10000 record: %v", err)
	}
	args = "[" + args + "]"
	if _, err := DecodeJSONMessage([]byte(`{"type":1,"target":"a","arguments":` + args + `}`)); err == nil {
		t.Error("depth 10001 record accepted")
	}
}
