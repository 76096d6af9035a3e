package mgmt_test

import (
	"bytes"
	"testing"

	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/tests/internal/mgmt"
)

// PayloadMap writes what hubproto.ParsePayloadMap (the server side) reads, with bin 8,
// bin 16 and bin 32 records.
func TestPayloadMap(t *testing.T) {
	for _, size := range []int{1, 300, 70000} {
		arg := `["` + string(bytes.Repeat([]byte("x"), size)) + `"]`
		jsonRec := hubproto.AppendJSONInvocation(nil, "t", []byte(arg))
		mp, err := hubproto.JSONToMsgpack(nil, []byte(arg))
		if err != nil {
			t.Fatal(err)
		}
		mpRec := hubproto.AppendMsgpackInvocation(nil, "t", mp)
		got, err := hubproto.ParsePayloadMap(mgmt.PayloadMap(
			mgmt.Framed{Protocol: "json", Record: jsonRec}, mgmt.Framed{Protocol: "messagepack", Record: mpRec}))
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if !bytes.Equal(got["json"], jsonRec) || !bytes.Equal(got["messagepack"], mpRec) || len(got) != 2 {
			t.Fatalf("size %d: records differ", size)
		}
	}
}
