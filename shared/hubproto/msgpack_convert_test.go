package hubproto

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestJSONToMsgpack(t *testing.T) {
	s32 := strings.Repeat("x", 32)
	tests := []struct {
		name, in, want string
	}{
		{"zero", `0`, "00"},
		{"minus one", `-1`, "ff"},
		{"127", `127`, "7f"},
		{"128", `128`, "cc 80"},
		{"255", `255`, "cc ff"},
		{"256", `256`, "cd 0100"},
		{"65535", `65535`, "cd ffff"},
		{"65536", `65536`, "ce 00010000"},
		{"2^32", `4294967296`, "cf 0000000100000000"},
		{"-32", `-32`, "e0"},
		{"-33", `-33`, "d0 df"},
		{"-128", `-128`, "d0 80"},
		{"-129", `-129`, "d1 ff7f"},
		{"-32768", `-32768`, "d1 8000"},
		{"-32769", `-32769`, "d2 ffff7fff"},
		{"-2^31-1", `-2147483649`, "d3 ffffffff7fffffff"},
		{"2^53", `9007199254740992`, "cf 0020000000000000"},
		{"max uint64", `18446744073709551615`, "cf ffffffffffffffff"},
		{"beyond uint64", `18446744073709551616`, "cb 43f0000000000000"},
		{"min int64", `-9223372036854775808`, "d3 8000000000000000"},
		{"below int64", `-9223372036854775809`, "cb c3e0000000000000"},
		{"1e3 is a float", `1e3`, "cb 408f400000000000"},
		{"1E+3 is a float", `1E+3`, "cb 408f400000000000"},
		{"1.5", `1.5`, "cb 3ff8000000000000"},
		{"1.0 is a float", `1.0`, "cb 3ff0000000000000"},
		{"-0 is a float", `-0`, "cb 8000000000000000"},
		{"-0.0", `-0.0`, "cb 8000000000000000"},
		{"overflow to Inf", `1e400`, "cb 7ff0000000000000"},
		{"overflow to -Inf", `-1e400`, "cb fff0000000000000"},
		{"underflow to 0", `1e-400`, "cb 0000000000000000"},
		{"string", `"a"`, "a1 61"},
		{"empty string", `""`, "a0"},
		{"unicode", `"é😀"`, "a6 c3a9 f09f9880"},
		{"unicode escape", `"\u00e9"`, "a2 c3a9"},
		{"surrogate pair", `"\ud83d\ude00"`, "a4 f09f9880"},
		{"uppercase hex", `"\uD83D\uDE00"`, "a4 f09f9880"},
		{"lone surrogate", `"\ud800x"`, "a4 efbfbd 78"},
		{"high then non-low", `"\ud800\u0041"`, "a4 efbfbd 41"},
		{"simple escapes", `"\"\\\/\b\f\n\r\t"`, "a8 22 5c 2f 08 0c 0a 0d 09"},
		{"control escape", `"\u0000\u001e"`, "a2 00 1e"},
		{"invalid utf8", "\"a\xffb\"", "a5 61 efbfbd 62"},
		{"str 8", `"` + s32 + `"`, "d9 20 " + strings.Repeat("78", 32)},
		{"escaped str 8", `"\n` + s32 + `"`, "d9 21 0a " + strings.Repeat("78", 32)},
		{"true false null", `[true,false,null]`, "93 c3 c2 c0"},
		{"empty object", `{}`, "80"},
		{"empty array", `[]`, "90"},
		{"object order kept", `{"b":1,"a":2}`, "82 a1 62 01 a1 61 02"},
		{"repeated keys kept", `{"a":1,"a":2}`, "82 a1 61 01 a1 61 02"},
		{"escaped key", `{"\u0061":1}`, "81 a1 61 01"},
		{"whitespace", " \t[ 1 ,\n{ \"b\" : [ ] } ]\r\n", "92 01 81 a1 62 90"},
		{"nested", `[1,"a",{"x":[1,2]}]`, "93 01 a1 61 81 a1 78 92 01 02"},
		{"array 16", `[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]`, "dc 0010 000102030405060708090a0b0c0d0e0f"},
		{"map 16", `{"a":0,"b":0,"c":0,"d":0,"e":0,"f":0,"g":0,"h":0,"i":0,"j":0,"k":0,"l":0,"m":0,"n":0,"o":0,"p":0}`,
			"de 0010 a16100 a16200 a16300 a16400 a16500 a16600 a16700 a16800 a16900 a16a00 a16b00 a16c00 a16d00 a16e00 a16f00 a17000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := JSONToMsgpack([]byte("pre"), raw(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if want := append([]byte("pre"), hx(tt.want)...); !bytes.Equal(got, want) {
				t.Errorf("JSONToMsgpack(%s) = % x\nwant % x", tt.in, got[3:], want[3:])
			}
		})
	}
}

func TestJSONToMsgpackLarge(t *testing.T) {
	// 65536 elements need an array 32, a 70000-byte string a str 16 or 32.
	in := "[" + strings.Repeat("0,", 65535) + "0]"
	got, err := JSONToMsgpack(nil, raw(in))
	if err != nil || !bytes.HasPrefix(got, hx("dd 00010000 00")) || len(got) != 5+65536 {
		t.Fatalf("65536 elements: % x..., %v", got[:min(8, len(got))], err)
	}
	for _, n := range []int{65535, 65536} {
		s := strings.Repeat("\\n", n) // escaped: the slow path moves the text down
		got, err = JSONToMsgpack(nil, raw(`"`+s+`"`))
		want := appendMPStrHeader(nil, n)
		if err != nil || !bytes.HasPrefix(got, want) || len(got) != len(want)+n || bytes.Count(got, []byte{'\n'}) != n {
			t.Fatalf("%d-byte escaped string: % x..., %v", n, got[:8], err)
		}
	}
}

func TestJSONToMsgpackNesting(t *testing.T) {
	for _, depth := range []int{1, 64, 1000, maxDepth, maxDepth + 1} {
		in := strings.Repeat("[", depth) + strings.Repeat("]", depth)
		got, err := JSONToMsgpack(nil, raw(in))
		if valid := json.Valid([]byte(in)); (err == nil) != valid {
			t.Fatalf("depth %d: err %v, json.Valid %v", depth, err, valid)
		}
		if err == nil && !bytes.Equal(got, append(bytes.Repeat([]byte{0x91}, depth-1), 0x90)) {
			t.Fatalf("depth %d: wrong encoding", depth)
		}
	}
	deep := strings.Repeat(`{"a":[`, 3000) + strings.Repeat("]}", 3000)
	got, err := JSONToMsgpack(nil, raw(deep))
	if err != nil || len(got) != 3000*4 {
		t.Fatalf("deep objects: %d bytes, %v", len(got), err)
	}
}

func TestJSONToMsgpackInvalid(t *testing.T) {
	for _, in := range []string{
		``, ` `, `[1,]`, `{"a"}`, `{"a":}`, `{"a":1,}`, `01`, `1.`, `-`, `1e`, `.5`, `+1`, `tru`, `nul`, `fals`,
		`"\x"`, `"\u12"`, `"abc`, "\"a\x01\"", `[`, `]`, `[1 2]`, `[1] [2]`, `{1:2}`, `{"a" 1}`, `NaN`, `Infinity`,
	} {
		got, err := JSONToMsgpack([]byte("pre"), raw(in))
		if !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("JSONToMsgpack(%q) err = %v, want ErrInvalidMessage", in, err)
		}
		if string(got) != "pre" {
			t.Errorf("JSONToMsgpack(%q) changed dst to %q", in, got)
		}
		if json.Valid([]byte(in)) {
			t.Errorf("%q is valid JSON", in)
		}
	}
}

func TestJSONToMsgpackDoesNotAllocate(t *testing.T) {
	dst := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() {
		var err error
		if dst, err = JSONToMsgpack(dst[:0], benchRESTArgs); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}

func TestMsgpackToJSON(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"nil", "c0", `null`},
		{"true", "c3", `true`},
		{"false", "c2", `false`},
		{"fixint", "7f", `127`},
		{"negative fixint", "ff", `-1`},
		{"uint8", "cc ff", `255`},
		{"uint16", "cd ffff", `65535`},
		{"uint32", "ce ffffffff", `4294967295`},
		{"uint64", "cf ffffffffffffffff", `18446744073709551615`},
		{"int8", "d0 80", `-128`},
		{"int16", "d1 8000", `-32768`},
		{"int32", "d2 80000000", `-2147483648`},
		{"int64", "d3 8000000000000000", `-9223372036854775808`},
		{"positive int8", "d0 05", `5`},
		{"float64", "cb 3ff8000000000000", `1.5`},
		{"float64 integral", "cb 408f400000000000", `1000`},
		{"float32", "ca 3fc00000", `1.5`},
		{"float32 shortest", "ca 3f8ccccd", `1.1`},
		{"float32 large", "ca 7f7fffff", `3.4028235e+38`},
		{"negative zero", "cb 8000000000000000", `-0`},
		{"big float", "cb c44b1ae4d6e2ef50", `-1e+21`},
		{"small float", "cb 3e7ad7f29abcaf48", `1e-7`},
		{"Inf", "cb 7ff0000000000000", `null`},
		{"NaN", "cb 7ff8000000000001", `null`},
		{"float32 NaN", "ca 7fc00000", `null`},
		{"str", "a2 c3a9", `"é"`},
		{"str escapes", "a4 22 0a 01 5c", `"\"\n\u0001\\"`},
		{"str line separator", "a3 e280a8", `"\u2028"`},
		{"str invalid utf8", "a1 ff", `"\ufffd"`},
		{"str 8", "d9 01 61", `"a"`},
		{"str 16", "da 0001 61", `"a"`},
		{"str 32", "db 00000001 61", `"a"`},
		{"bin", "c4 02 0102", `"AQI="`},
		{"empty bin", "c4 00", `""`},
		{"bin 16", "c5 0003 ffffff", `"////"`},
		{"timestamp 32", "d6 ff 00000000", `"1970-01-01T00:00:00Z"`},
		{"timestamp 64", "d7 ff a1a5d600 65937d25", `"2024-01-02T03:04:05.678Z"`},
		{"timestamp 96", "c7 0c ff 00000000 ffffffffffffffff", `"1969-12-31T23:59:59Z"`},
		{"empty array", "90", `[]`},
		{"empty array 16", "dc 0000", `[]`},
		{"empty map", "80", `{}`},
		{"map", "82 a1 61 01 a1 62 92 c0 c3", `{"a":1,"b":[null,true]}`},
		{"nested", "93 01 a1 61 81 a1 78 92 01 02", `[1,"a",{"x":[1,2]}]`},
		{"nested close", "92 91 91 90 01", `[[[[]]],1]`},
		{"map in array in map", "81 a1 61 92 81 a1 62 80 90", `{"a":[{"b":{}},[]]}`},
		{"non-string keys", "85 01 a1 76 c3 a1 76 c0 a1 76 ca 3fc00000 a1 76 d0 ff a1 76",
			`{"1":"v","true":"v","null":"v","1.5":"v","-1":"v"}`},
		{"bin key", "81 c4 01 ff 01", `{"/w==":1}`},
		{"timestamp key", "81 d6 ff 00000000 01", `{"1970-01-01T00:00:00Z":1}`},
		{"escaped key", "81 a1 22 01", `{"\"":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MsgpackToJSON([]byte("pre"), hx(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != "pre"+tt.want {
				t.Errorf("MsgpackToJSON(%s) = %s, want %s", tt.in, got[3:], tt.want)
			}
			if !json.Valid(got[3:]) {
				t.Errorf("invalid JSON %s", got[3:])
			}
		})
	}
}

func TestMsgpackToJSONInvalid(t *testing.T) {
	deep := append(bytes.Repeat([]byte{0x91}, maxDepth), 0x90)
	for name, in := range map[string][]byte{
		"empty":                  nil,
		"reserved":               hx("c1"),
		"truncated array":        hx("92 01"),
		"truncated str":          hx("a5 61"),
		"truncated uint":         hx("cd 01"),
		"trailing":               hx("91 01 01"),
		"two values":             hx("01 01"),
		"array key":              hx("81 90 01"),
		"map key":                hx("81 80 01"),
		"other ext":              hx("d4 01 00"),
		"timestamp bad length":   hx("d5 ff 0000"),
		"timestamp bad nanos":    hx("c7 0c ff 3b9aca00 0000000000000000"),
		"huge count":             hx("dd ffffffff"),
		"huge map":               hx("df 80000000 01"),
		"nested deeper than 1e4": deep,
	} {
		got, err := MsgpackToJSON([]byte("pre"), in)
		if !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("%s: err = %v, want ErrInvalidMessage", name, err)
		}
		if string(got) != "pre" {
			t.Errorf("%s: dst changed to %.40q", name, got)
		}
	}
	ok := append(bytes.Repeat([]byte{0x91}, maxDepth-1), 0x90)
	if _, err := MsgpackToJSON(nil, ok); err != nil {
		t.Errorf("nesting %d: %v", maxDepth, err)
	}
}

// Converting JSON to MessagePack and back gives the same JSON for JSON in the
// form MsgpackToJSON writes, and the reverse holds for MessagePack in the form
// JSONToMsgpack writes.
func TestConvertRoundTrip(t *testing.T) {
	for _, in := range []string{
		`[1,-1,1.5,-0,1e+21,1e-7,"x\n\u2028",{"a":[true,false,null]},{},[],18446744073709551615,-9223372036854775808]`,
		`{"a":{"b":{"c":[[[]]]}},"d":"é😀","a":2}`,
		`"` + strings.Repeat("long ", 20000) + `"`,
		string(benchRESTArgs),
	} {
		mp, err := JSONToMsgpack(nil, raw(in))
		if err != nil {
			t.Fatal(err)
		}
		back, err := MsgpackToJSON(nil, mp)
		if err != nil || string(back) != in {
			t.Errorf("JSON round trip of %.80s: %.80s, %v", in, back, err)
		}
		again, err := JSONToMsgpack(nil, back)
		if err != nil || !bytes.Equal(again, mp) {
			t.Errorf("MessagePack round trip of % .40x: % .40x, %v", mp, again, err)
		}
	}
}

func TestMsgpackToJSONDoesNotAllocate(t *testing.T) {
	mp, err := JSONToMsgpack(nil, raw(`["é😀\u2028\n",{"k":[1.5,-3,true,null]},"\ud800"]`))
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() {
		if dst, err = MsgpackToJSON(dst[:0], mp); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}
