package hubproto_test

import (
	"encoding/json"
	"fmt"

	"github.com/heraldrt/herald/shared/hubproto"
)

func ExampleParseHandshake() {
	// The first read of a connection: the handshake and, in the same frame,
	// the start of normal traffic.
	data := []byte("{\"protocol\":\"json\",\"version\":1}\x1e{\"type\":6}\x1e")

	req, rest, err := hubproto.ParseHandshake(data)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	codec, errText := hubproto.SelectCodec(req, hubproto.JSON)
	resp := hubproto.AppendHandshakeResponse(nil, errText)
	fmt.Printf("%s %d -> %q\n", req.Protocol, req.Version, resp)

	msgs, _, _ := codec.Decode(rest)
	fmt.Println(msgs[0].Type)
	// Output:
	// json 1 -> "{}\x1e"
	// Ping
}

func ExampleAppendJSONInvocation() {
	args, _ := json.Marshal([]any{"alice", "hello"})
	frame := hubproto.AppendJSONInvocation(nil, "newMessage", args)
	fmt.Printf("%q\n", frame)
	// Output:
	// "{\"type\":1,\"target\":\"newMessage\",\"arguments\":[\"alice\",\"hello\"]}\x1e"
}

func ExampleCodec_Decode() {
	// Two complete records and the start of a third, as one read delivers them.
	data := []byte("{\"type\":1,\"invocationId\":\"0\",\"target\":\"echo\",\"arguments\":[1]}\x1e{\"type\":6}\x1e{\"type\":")

	msgs, rest, err := hubproto.JSON.Decode(data)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	for _, m := range msgs {
		fmt.Printf("%v id=%q target=%q args=%s\n", m.Type, m.InvocationID, m.Target, m.Arguments)
	}
	fmt.Printf("keep for the next read: %q\n", rest)
	// Output:
	// Invocation id="0" target="echo" args=[1]
	// Ping id="" target="" args=
	// keep for the next read: "{\"type\":"
}
