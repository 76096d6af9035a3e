package hubproto

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addGoldenSeeds seeds f with every golden frame in testdata/, one frame per
// seed, plus the first few concatenated (several records in one read). Seeds
// stay small so that the fuzzer's minimization of new inputs stays quick.
func addGoldenSeeds(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.bin"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed frames in testdata: %v", err)
	}
	var all []byte
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		if len(all) < 128 {
			all = append(all, b...)
		}
	}
	f.Add(all)
}

func FuzzJSONDecode(f *testing.F) {
	addGoldenSeeds(f)
	for _, s := range []string{
		"", "\x1e", `{"type":1,"target":"a","arguments":[],"headers":{"k":"v"},"streamIds":["1"]}` + "\x1e{",
		`{"type":3,"invocationId":"1","result":null}` + "\x1e",
		`{"type":7,"error":"\ud800","allowReconnect":true}` + "\x1e",
		// Attack shapes (SECURITY.md): many declared-looking elements, a
		// record cut before its separator.
		`{"type":1,"target":"a","arguments":[],"streamIds":["","","","","","","",""],"headers":{"a":"","b":"","c":""}}` + "\x1e",
		`{"type":1,"target":"a","arguments":["` + strings.Repeat("x", 32),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		msgs, rest, err := JSON.Decode(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("error %v does not wrap ErrInvalidMessage", err)
			}
			if rest != nil {
				t.Fatalf("rest %q returned with error", rest)
			}
		} else {
			if bytes.IndexByte(rest, RecordSeparator) >= 0 || !bytes.HasSuffix(data, rest) {
				t.Fatalf("rest %q is not the incomplete tail of %q", rest, data)
			}
			if want := bytes.Count(data, []byte{RecordSeparator}); len(msgs) != want {
				t.Fatalf("decoded %d messages from %d records", len(msgs), want)
			}
		}
		for _, m := range msgs {
			for _, r := range []json.RawMessage{m.Arguments, m.Item, m.Result} {
				if r != nil && !json.Valid(r) {
					t.Fatalf("decoded raw value %q is not valid JSON", r)
				}
			}
		}
		checkRoundTrip(t, JSON, data)
	})
}

func FuzzHandshake(f *testing.F) {
	addGoldenSeeds(f)
	f.Add([]byte(`{"protocol":"messagepack","version":1}` + "\x1e" + "\x91\x06"))
	f.Add([]byte(`{"protocol":"json","version":1,"pad":"` + strings.Repeat(" ", 32)))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, rest, err := ParseHandshake(data)
		switch {
		case errors.Is(err, ErrIncomplete):
			if bytes.IndexByte(data, RecordSeparator) >= 0 {
				t.Fatalf("ErrIncomplete for data with a separator: %q", data)
			}
			return
		case err != nil:
			if !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("error %v wraps neither sentinel", err)
			}
			return
		}
		if want := data[bytes.IndexByte(data, RecordSeparator)+1:]; !bytes.Equal(rest, want) || (len(want) == 0 && rest != nil) {
			t.Fatalf("rest = %q, want %q", rest, want)
		}
		// Round trip: re-encoding the request parses to the same request.
		enc := []byte(`{"protocol":`)
		enc = appendJSONString(enc, req.Protocol)
		enc = append(enc, `,"version":`...)
		enc = append(enc, []byte(jsonInt(req.Version))...)
		enc = append(enc, '}', RecordSeparator)
		again, _, err := ParseHandshake(enc)
		if err != nil || again != req {
			t.Fatalf("re-parse of %q = %+v, %v; want %+v", enc, again, err, req)
		}
		// The response carrying any text is valid JSON holding that text.
		resp := AppendHandshakeResponse(nil, req.Protocol)
		var body struct{ Error *string }
		if err := json.Unmarshal(resp[:len(resp)-1], &body); err != nil {
			t.Fatalf("response %q: %v", resp, err)
		}
		if req.Protocol != "" && (body.Error == nil || *body.Error != string([]rune(req.Protocol))) {
			t.Fatalf("response %q does not carry %q", resp, req.Protocol)
		}
	})
}

func jsonInt(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// FuzzValidJSON checks that the package's JSON scanner accepts exactly what
// encoding/json accepts.
func FuzzValidJSON(f *testing.F) {
	addGoldenSeeds(f)
	for _, s := range []string{`{"a":[1,-0.5e+3,true,false,null,"\u00e9\n"]}`, `[]`, ` 1 `, `"x"`, `{"a":}`, `[1,]`, `01`, `1.`, `"\x"`,
		`{"a" 1}`, `tru`, `nul`, `-`, `1e`, "\"\x01\"", `[[[]]]`, `{"":{}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := validJSON(data), json.Valid(data); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid = %v", data, got, want)
		}
	})
}

// FuzzJSONAppend checks that every record the encoders write decodes, and
// that strings survive the trip (invalid UTF-8 becomes U+FFFD).
func FuzzJSONAppend(f *testing.F) {
	f.Add(1, "id", "target", "err", []byte(`[1,"x"]`), true)
	f.Add(3, "", "t\u2028", "", []byte(`null`), false)
	f.Add(7, "x", "\xff\x00", "bye\n", []byte(`{"a":[]}`), true)
	f.Fuzz(func(t *testing.T, typ int, id, target, errText string, rawValue []byte, flag bool) {
		m := Message{Type: MessageType(typ), InvocationID: id, Target: target, Arguments: rawValue,
			StreamIDs: []string{id, target}, Headers: map[string]string{id: target}, Item: rawValue,
			Result: rawValue, HasResult: flag, Error: errText, AllowReconnect: flag, SequenceID: int64(typ)}
		if flag {
			m.Error = ""
		}
		if rec, err := JSON.Append(nil, &m); err == nil {
			got, err := DecodeJSONMessage(rec)
			if err != nil {
				t.Fatalf("Append wrote %q, which does not decode: %v", rec, err)
			}
			if got.Type != m.Type {
				t.Fatalf("type %v decoded as %v", m.Type, got.Type)
			}
			if m.Type == TypeInvocation && got.Target != string([]rune(target)) {
				t.Fatalf("target %q decoded as %q", target, got.Target)
			}
		}
		if target == "" {
			return
		}
		args := json.RawMessage(nil)
		if isJSONArray(rawValue) {
			args = rawValue
		}
		got, err := DecodeJSONMessage(AppendJSONInvocation(nil, target, args))
		if err != nil || got.Target != string([]rune(target)) {
			t.Fatalf("AppendJSONInvocation(%q, %q) decodes to %+v, %v", target, args, got, err)
		}
		for _, rec := range [][]byte{AppendJSONClose(nil, errText, flag), AppendJSONCompletion(nil, target, errText, nil),
			AppendHandshakeResponse(nil, errText)} {
			if !json.Valid(rec[:len(rec)-1]) {
				t.Fatalf("encoder wrote invalid JSON %q", rec)
			}
		}
	})
}
