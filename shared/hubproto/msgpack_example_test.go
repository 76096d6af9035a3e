package hubproto_test

import (
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/heraldrt/herald/shared/hubproto"
)

func ExampleJSONToMsgpack() {
	// The arguments of a REST send, converted once for every MessagePack
	// recipient: integers stay integers, other numbers become float64.
	args := json.RawMessage(`["alice",{"n":1,"f":1.5}]`)
	mp, err := hubproto.JSONToMsgpack(nil, args)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	frame := hubproto.AppendMsgpackInvocation(nil, "newMessage", mp)
	fmt.Printf("% x\n", frame)
	// Output:
	// 25 95 01 80 c0 aa 6e 65 77 4d 65 73 73 61 67 65 92 a5 61 6c 69 63 65 82 a1 6e 01 a1 66 cb 3f f8 00 00 00 00 00 00
}

func ExampleMsgpackToJSON() {
	// A JavaScript client's invoke("echo", 1, "a", new Uint8Array([1, 2]))
	// carries these arguments.
	args, _ := hex.DecodeString("9301a161c4020102")
	j, err := hubproto.MsgpackToJSON(nil, args)
	fmt.Println(string(j), err)
	// Output:
	// [1,"a","AQI="] <nil>
}

func ExampleCodec_Decode_messagePack() {
	// A ping and an invocation in one binary frame, then the first byte of
	// the next record.
	frame, _ := hex.DecodeString("029106" + "0c950180a130a46563686f9101" + "05")
	msgs, rest, err := hubproto.MessagePack.Decode(frame)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	for _, m := range msgs {
		args, _ := hubproto.MsgpackToJSON(nil, m.Arguments)
		fmt.Printf("%v id=%q target=%q args=%s raw=% x\n", m.Type, m.InvocationID, m.Target, args, m.Raw)
	}
	fmt.Printf("keep for the next read: % x\n", rest)
	// Output:
	// Ping id="" target="" args= raw=91 06
	// Invocation id="0" target="echo" args=[1] raw=95 01 80 a1 30 a4 65 63 68 6f 91 01
	// keep for the next read: 05
}

func ExampleParsePayloadMap() {
	// {"messagepack": bin(<framed Invocation of "a" with no arguments>)}, as
	// the Management SDK sends it with Content-Type application/octet-stream.
	body, _ := hex.DecodeString("81ab6d6573736167657061636bc408" + "07950180c0a16190")
	payloads, err := hubproto.ParsePayloadMap(body)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Printf("% x\n", payloads["messagepack"])
	// Output:
	// 07 95 01 80 c0 a1 61 90
}
