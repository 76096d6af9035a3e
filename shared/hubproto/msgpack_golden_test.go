package hubproto

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The testdata/msgpack-*.bin frames belong to capture/capture-msgpack.mjs
// (see testdata/README.md). msgpack-server-* frames are written by this
// package's encoders (go test -run TestGoldenMsgpackServerFrames -update) and
// the capture script checks that the real client accepts them;
// msgpack-client-* frames are what the real client sent.

var update = flag.Bool("update", false, "rewrite the msgpack-server-* golden frames from the encoders")

// The JSON values behind the server frames built with JSONToMsgpack. The
// capture script reads the .json sidecars and checks that the client receives
// exactly what JSON.parse makes of them (integers, floats, -0, Infinity,
// escapes, nesting, repeated keys, 16- and 8-bit length formats).
const (
	goldenNotifyArgs = `["hi",{"n":1,"zero":0,"negzero":-0,"neg":-33,"u8":200,"u16":256,"u32":65536,"u64":4294967296,` +
		`"i8":-128,"i16":-129,"i32":-32769,"i64":-2147483649,"maxsafe":9007199254740992,"minsafe":-9007199254740992,` +
		`"above":9007199254740993,"maxu64":18446744073709551615,"beyond":18446744073709551616,"minint64":-9223372036854775808,` +
		`"f":1.5,"thousand":1e3,"one":1.0,"tiny":5e-324,"inf":1e400,"ninf":-1e400,` +
		`"s":"\u00e9\ud83d\ude00\n\"\\\/\u0000\u2028","empty":"","t":true,"fl":false,"nil":null,"dup":1,"dup":2,` +
		`"nested":{"x":[1,[2,{"y":null}]],"o":{}},"arr":[],` +
		`"a16":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15],` +
		`"m16":{"a":0,"b":1,"c":2,"d":3,"e":4,"f":5,"g":6,"h":7,"i":8,"j":9,"k":10,"l":11,"m":12,"n":13,"o":14,"p":15},` +
		`"str8":"` + "0123456789abcdef0123456789abcdef" + `",` +
		`"str16":"` + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" +
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" + `"}]`
	goldenEchoResult = `{"echo":[1,"a",{"x":[1,2]}],"pi":3.14159,"big":-1e21,"small":1e-7}`
)

// goldenMsgpackServerFrames returns the server frames by file name (without
// "msgpack-server-" and ".bin"), and the JSON sidecars by file name.
func goldenMsgpackServerFrames(t testing.TB) (frames, sidecars map[string][]byte) {
	t.Helper()
	conv := func(s string) []byte {
		b, err := JSONToMsgpack(nil, json.RawMessage(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	app := func(m Message) []byte {
		b, err := MessagePack.Append(nil, &m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// Invocation IDs follow the script: echo 0, explode 1, nothing 2,
	// counter 3, upload stream 4 and invocation 5.
	frames = map[string][]byte{
		"ping":                     AppendMsgpackPing(nil),
		"invocation":               AppendMsgpackInvocation(nil, "notify", conv(goldenNotifyArgs)),
		"invocation-with-id":       app(Message{Type: TypeInvocation, InvocationID: "s1", Target: "ask"}),
		"invocation-with-id-error": app(Message{Type: TypeInvocation, InvocationID: "s2", Target: "fail"}),
		"completion-result":        AppendMsgpackCompletion(nil, "0", "", conv(goldenEchoResult)),
		"completion-error":         AppendMsgpackCompletion(nil, "1", "boom", nil),
		"completion-void":          AppendMsgpackCompletion(nil, "2", "", nil),
		"stream-item":              app(Message{Type: TypeStreamItem, InvocationID: "3", Item: conv(`"first"`)}),
		"stream-item-2":            app(Message{Type: TypeStreamItem, InvocationID: "3", Item: conv(`{"second":2}`)}),
		"completion-upload":        AppendMsgpackCompletion(nil, "5", "", conv(`"uploaded"`)),
		"unknown":                  app(Message{Type: 99}),
		"close":                    AppendMsgpackClose(nil, "Service reloading, try reconnecting", true),
		"close-plain":              AppendMsgpackClose(nil, "", false),
	}
	sidecars = map[string][]byte{
		"msgpack-server-invocation.json":        []byte(goldenNotifyArgs),
		"msgpack-server-completion-result.json": []byte(goldenEchoResult),
	}
	return frames, sidecars
}

// The server frames the real client accepted are byte for byte what the
// encoders write.
func TestGoldenMsgpackServerFrames(t *testing.T) {
	frames, sidecars := goldenMsgpackServerFrames(t)
	if *update {
		for name, b := range frames {
			sidecars["msgpack-server-"+name+".bin"] = b
		}
		for file, b := range sidecars {
			if err := os.WriteFile(filepath.Join("testdata", file), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	for name, b := range frames {
		t.Run(name, func(t *testing.T) {
			if want := readGolden(t, "msgpack-server-"+name+".bin"); !bytes.Equal(b, want) {
				t.Errorf("encoder wrote % x\ngolden       % x", b, want)
			}
		})
	}
	for file, b := range sidecars {
		if want := readGolden(t, file); !bytes.Equal(b, want) {
			t.Errorf("%s differs from the test's JSON", file)
		}
	}
}

// Server frames that must be exactly as HubProtocol.md and the ASP.NET Core
// server write them.
func TestGoldenMsgpackServerFrameBytes(t *testing.T) {
	for name, want := range map[string]string{
		"ping":            "02 91 06",
		"completion-void": "06 94 03 80 a1 32 02",
		"close-plain":     "04 93 07 c0 c2",
		"unknown":         "02 91 63",
	} {
		if got := readGolden(t, "msgpack-server-"+name+".bin"); !bytes.Equal(got, hx(want)) {
			t.Errorf("%s = % x, want %s", name, got, want)
		}
	}
}

func TestGoldenMsgpackClientFrames(t *testing.T) {
	tests := []struct {
		file     string
		want     Message
		wantJSON string // Arguments, Item or Result as JSON
	}{
		{"msgpack-client-ping.bin", Message{Type: TypePing}, ""},
		{"msgpack-client-invocation.bin", Message{Type: TypeInvocation, InvocationID: "0", Target: "echo"},
			`[1,"a",{"x":[1,2]},1.5,true,null,"AQI="]`},
		{"msgpack-client-invocation-nonblocking.bin", Message{Type: TypeInvocation, Target: "fire"}, `[]`},
		{"msgpack-client-invocation-timestamp.bin", Message{Type: TypeInvocation, Target: "when"},
			`["2024-01-02T03:04:05.678Z","1970-01-01T00:00:00Z","1969-12-31T23:59:59Z"]`},
		{"msgpack-client-invocation-explode.bin", Message{Type: TypeInvocation, InvocationID: "1", Target: "explode"}, `[]`},
		{"msgpack-client-invocation-nothing.bin", Message{Type: TypeInvocation, InvocationID: "2", Target: "nothing"}, `[]`},
		{"msgpack-client-invocation-streamids.bin", Message{Type: TypeInvocation, InvocationID: "5", Target: "upload",
			StreamIDs: []string{"4"}}, `[]`},
		{"msgpack-client-stream-invocation.bin", Message{Type: TypeStreamInvocation, InvocationID: "3", Target: "counter"}, `[10]`},
		{"msgpack-client-cancel-invocation.bin", Message{Type: TypeCancelInvocation, InvocationID: "3"}, ""},
		{"msgpack-client-stream-item.bin", Message{Type: TypeStreamItem, InvocationID: "4"}, `{"chunk":1}`},
		{"msgpack-client-completion-void.bin", Message{Type: TypeCompletion, InvocationID: "4"}, ""},
		{"msgpack-client-completion-result.bin", Message{Type: TypeCompletion, InvocationID: "s1", HasResult: true}, `42`},
		{"msgpack-client-completion-error.bin", Message{Type: TypeCompletion, InvocationID: "s2", Error: "Error: boom"}, ""},
		{"msgpack-client-close.bin", Message{Type: TypeClose}, ""},
		{"msgpack-client-ack.bin", Message{Type: TypeAck, SequenceID: 1}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			frame := readGolden(t, tt.file)
			msgs, rest, err := MessagePack.Decode(frame)
			if err != nil || rest != nil || len(msgs) != 1 {
				t.Fatalf("Decode = %d messages, %v, rest %q", len(msgs), err, rest)
			}
			got := msgs[0]
			if _, k, _ := readVarInt(frame); !bytes.Equal(got.Raw, frame[k:]) {
				t.Errorf("Raw = % x, want the record without its prefix", got.Raw)
			}
			value := got.Arguments
			for _, v := range [][]byte{got.Item, got.Result} {
				if v != nil {
					value = v
				}
			}
			if tt.wantJSON != "" {
				j, err := MsgpackToJSON(nil, value)
				if err != nil || string(j) != tt.wantJSON {
					t.Errorf("value = %s, %v; want %s", j, err, tt.wantJSON)
				}
			}
			got.Raw, got.Arguments, got.Item, got.Result = nil, nil, nil, nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode = %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestGoldenMsgpackClientHandshakes(t *testing.T) {
	for file, want := range map[string]HandshakeRequest{
		"msgpack-client-handshake.bin":    {Protocol: "messagepack", Version: 1},
		"msgpack-client-handshake-v2.bin": {Protocol: "messagepack", Version: 2},
	} {
		req, rest, err := ParseHandshake(readGolden(t, file))
		if err != nil || req != want || rest != nil {
			t.Errorf("%s: ParseHandshake = %+v, %q, %v; want %+v", file, req, rest, err, want)
		}
		if c, errText := SelectCodec(req); c != MessagePack {
			t.Errorf("%s: SelectCodec refused: %s", file, errText)
		}
	}
}

// Every msgpack golden frame other than the handshakes decodes, and
// re-encodes to a frame that decodes to the same message.
func TestGoldenMsgpackRoundTrip(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "msgpack-*.bin"))
	if err != nil || len(files) < 20 {
		t.Fatalf("msgpack golden frames missing: %d, %v", len(files), err)
	}
	var all []byte
	for _, path := range files {
		name := filepath.Base(path)
		if strings.Contains(name, "handshake") {
			continue
		}
		frame := readGolden(t, name)
		all = append(all, frame...)
		t.Run(name, func(t *testing.T) {
			checkRoundTrip(t, MessagePack, frame)
		})
	}
	msgs, rest, err := MessagePack.Decode(all)
	if err != nil || rest != nil || len(msgs) != len(files)-2 {
		t.Fatalf("all frames in one read: %d messages, %v, rest %q", len(msgs), err, rest)
	}
}
