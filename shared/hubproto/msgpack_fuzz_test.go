package hubproto

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func FuzzMsgpackDecode(f *testing.F) {
	addGoldenSeeds(f)
	for _, s := range []string{
		"", "00", "80", "ff ff ff ff 07", "ff ff ff ff 08", "02 91 06 02 91",
		"0c 96 01 81 a1 61 a1 62 a1 31 a1 74 90 91 a1 32",
		"09 95 03 80 a1 31 03 d6 ff 00000000",
		"0b 93 07 a8 e2 80 a8 ff 22 5c 0a 00 c3",
		"0f 92 08 d3 80 00 00 00 00 00 00 00 02 91 06",
	} {
		f.Add(hx(s))
	}
	// The attack shapes (SECURITY.md): huge declared counts and lengths.
	for _, rec := range [][]byte{hugeHeadersRecord(48), hugeStreamIDsRecord(48), binArgRecord(48),
		hx("ff ff ff 7f"), hx("05 95 01 df ff ff ff ff")} {
		f.Add(rec)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		msgs, rest, err := MessagePack.Decode(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("error %v does not wrap ErrInvalidMessage", err)
			}
			if rest != nil {
				t.Fatalf("rest % x returned with error", rest)
			}
		} else if !bytes.HasSuffix(data, rest) {
			t.Fatalf("rest % x is not a tail of the input", rest)
		} else if len(rest) > 0 {
			if size, err := MsgpackRecordSize(rest); err == nil && size <= len(rest) {
				t.Fatalf("rest % x holds a complete record", rest)
			}
		}
		// Each message's Raw is its record, in order.
		i := 0
		for _, m := range msgs {
			n, k, perr := readVarInt(data[i:])
			if perr != nil || k == 0 || !bytes.Equal(data[i+k:i+k+n], m.Raw) {
				t.Fatalf("Raw % x is not the record at offset %d", m.Raw, i)
			}
			i += k + n
			again, err := DecodeMsgpackMessage(m.Raw)
			if err != nil || !reflect.DeepEqual(again, m) {
				t.Fatalf("DecodeMsgpackMessage(Raw) = %#v, %v; want %#v", again, err, m)
			}
			if m.Arguments != nil && !isMsgpackArray(m.Arguments) {
				t.Fatalf("Arguments % x are not one array", m.Arguments)
			}
			for _, v := range [][]byte{m.Item, m.Result} {
				if v != nil && !isMsgpackValue(v) {
					t.Fatalf("value % x is not one MessagePack value", v)
				}
				if v != nil {
					if j, err := MsgpackToJSON(nil, v); err == nil && !json.Valid(j) {
						t.Fatalf("MsgpackToJSON(% x) = %q, invalid JSON", v, j)
					}
				}
			}
		}
		checkRoundTrip(t, MessagePack, data)
	})
}

// FuzzJSONToMsgpack checks that JSONToMsgpack accepts exactly valid JSON,
// and that converting back with MsgpackToJSON gives JSON that means the same
// (read with encoding/json and UseNumber), and is a fixed point of the two
// conversions.
func FuzzJSONToMsgpack(f *testing.F) {
	for _, s := range []string{
		string(benchRESTArgs), `[]`, `{}`, `0`, `-0`, `-1`, `127`, `128`, `-33`,
		`9007199254740992`, `18446744073709551616`, `-9223372036854775809`, `1e3`, `1.5`, `1e400`, `5e-324`,
		`"\ud800"`, `"\ud83d\ude00"`, "\"\xff\"", `{"a":1,"a":[2]}`, `[[[[{}]]]]`, ` [1 , 2] `, `[1,]`, `01`, `"\x"`,
	} {
		f.Add([]byte(s))
	}
	sidecars, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(sidecars) == 0 {
		f.Fatalf("no JSON seeds in testdata: %v", err)
	}
	for _, path := range sidecars {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		mp, err := JSONToMsgpack(nil, data)
		if valid := json.Valid(data); (err == nil) != valid {
			t.Fatalf("JSONToMsgpack(%q) err = %v, json.Valid = %v", data, err, valid)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("error %v does not wrap ErrInvalidMessage", err)
			}
			return
		}
		if !isMsgpackValue(mp) {
			t.Fatalf("JSONToMsgpack(%q) = % x, not one MessagePack value", data, mp)
		}
		back, err := MsgpackToJSON(nil, mp)
		if err != nil || !json.Valid(back) {
			t.Fatalf("MsgpackToJSON(% x) = %q, %v", mp, back, err)
		}
		in, out := decodeUseNumber(t, data), decodeUseNumber(t, back)
		if why := sameJSON(in, out); why != "" {
			t.Fatalf("%q -> % x -> %q: %s", data, mp, back, why)
		}
		mp2, err := JSONToMsgpack(nil, back)
		if err != nil {
			t.Fatal(err)
		}
		if again, err := MsgpackToJSON(nil, mp2); err != nil || !bytes.Equal(again, back) {
			t.Fatalf("second round trip of %q gives %q, %v", back, again, err)
		}
	})
}

func decodeUseNumber(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return v
}

// sameJSON reports how the converted value out differs in meaning from the
// input value in, or "" if it does not. Integers that fit 64 bits must stay
// the same integers; other numbers must be the same float64, bit for bit,
// except that numbers beyond the float64 range become null.
func sameJSON(in, out any) string {
	switch a := in.(type) {
	case json.Number:
		s := string(a)
		if !strings.ContainsAny(s, ".eE") && s != "-0" {
			if _, err := strconv.ParseInt(s, 10, 64); err == nil {
				return sameText(s, out)
			}
			if _, err := strconv.ParseUint(s, 10, 64); err == nil {
				return sameText(s, out)
			}
		}
		f, _ := strconv.ParseFloat(s, 64)
		if math.IsInf(f, 0) {
			if out != nil {
				return s + " beyond float64 did not become null"
			}
			return ""
		}
		b, ok := out.(json.Number)
		if !ok {
			return s + " became " + strconv.Quote(stringOf(out))
		}
		g, err := strconv.ParseFloat(string(b), 64)
		if err != nil || math.Float64bits(f) != math.Float64bits(g) {
			return s + " became " + string(b)
		}
		return ""
	case []any:
		b, ok := out.([]any)
		if !ok || len(a) != len(b) {
			return "array changed"
		}
		for i := range a {
			if why := sameJSON(a[i], b[i]); why != "" {
				return why
			}
		}
		return ""
	case map[string]any:
		b, ok := out.(map[string]any)
		if !ok || len(a) != len(b) {
			return "object changed"
		}
		for k, v := range a {
			w, ok := b[k]
			if !ok {
				return "member " + strconv.Quote(k) + " lost"
			}
			if why := sameJSON(v, w); why != "" {
				return why
			}
		}
		return ""
	}
	if !reflect.DeepEqual(in, out) {
		return stringOf(in) + " became " + stringOf(out)
	}
	return ""
}

func sameText(s string, out any) string {
	if b, ok := out.(json.Number); !ok || string(b) != s {
		return "integer " + s + " became " + stringOf(out)
	}
	return ""
}

func stringOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// FuzzMsgpackToJSON checks that any MessagePack value converts to valid JSON
// or to an error, and that the JSON converts back.
func FuzzMsgpackToJSON(f *testing.F) {
	for _, s := range []string{"c0", "93 01 a1 61 81 a1 78 92 01 02", "85 01 a1 76 c3 a1 76 c0 a1 76 ca 3fc00000 a1 76 c4 01 ff a1 76",
		"d7 ff a1a5d600 65937d25", "cb 7ff8000000000001", "a3 e2 80 a8", "c7 0c ff 00000000 ffffffffffffffff"} {
		f.Add(hx(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := MsgpackToJSON(nil, data)
		if err != nil {
			if !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("error %v does not wrap ErrInvalidMessage", err)
			}
			return
		}
		if !isMsgpackValue(data) {
			t.Fatalf("converted % x, which is not one MessagePack value", data)
		}
		if !json.Valid(j) {
			t.Fatalf("MsgpackToJSON(% x) = %q, invalid JSON", data, j)
		}
		if _, err := JSONToMsgpack(nil, j); err != nil {
			t.Fatalf("JSONToMsgpack(%q): %v", j, err)
		}
		// The bounded conversion agrees at the exact length and refuses
		// one byte less.
		if lj, err := MsgpackToJSONLimit(nil, data, len(j)); err != nil || !bytes.Equal(lj, j) {
			t.Fatalf("MsgpackToJSONLimit(% x, %d) = %q, %v; want %q", data, len(j), lj, err, j)
		}
		if _, err := MsgpackToJSONLimit(nil, data, len(j)-1); !errors.Is(err, ErrJSONTooLarge) {
			t.Fatalf("MsgpackToJSONLimit(% x, %d): %v, want ErrJSONTooLarge", data, len(j)-1, err)
		}
	})
}

// FuzzPayloadMap checks that ParsePayloadMap returns only entries that
// decode, and that rebuilding the map from them parses to the same map.
func FuzzPayloadMap(f *testing.F) {
	f.Add(payloadMap(f, "newMessage", benchRESTArgs))
	f.Add(payloadMap(f, "t", json.RawMessage(`[]`)))
	f.Add(payloadMapOf("messagepack", AppendMsgpackInvocation(nil, "a", nil)))
	f.Add(payloadMapOf("json", AppendJSONInvocation(nil, "a", nil), "other", []byte{1, 2}))
	for _, name := range []string{"msgpack-server-invocation.bin", "msgpack-client-invocation.bin", "server-invocation.bin", "client-invocation.bin"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		protocol := "json"
		if strings.HasPrefix(name, "msgpack-") {
			protocol = "messagepack"
		}
		f.Add(payloadMapOf(protocol, b))
	}
	f.Add(hugePayloadMap(48))
	f.Add(smallPayloadMap(48))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := ParsePayloadMap(body)
		if err != nil {
			if !errors.Is(err, ErrInvalidMessage) || got != nil {
				t.Fatalf("ParsePayloadMap = %q, %v", got, err)
			}
			return
		}
		if len(got) == 0 {
			t.Fatal("empty map without error")
		}
		var kv []any
		for name, framed := range got {
			kv = append(kv, name, framed)
			var c Codec
			switch name {
			case "json":
				c = JSON
			case "messagepack":
				c = MessagePack
			default:
				continue
			}
			msgs, rest, err := c.Decode(framed)
			if err != nil || rest != nil || len(msgs) != 1 || msgs[0].Type != TypeInvocation {
				t.Fatalf("%s entry % x decodes to %v, %v, rest % x", name, framed, msgs, err, rest)
			}
		}
		again, err := ParsePayloadMap(payloadMapOf(kv...))
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("rebuilt map parses to %q, %v; want %q", again, err, got)
		}
	})
}
