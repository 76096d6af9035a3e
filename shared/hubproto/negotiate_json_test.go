package hubproto_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/heraldrt/herald/shared/hubproto"
)

// TestNegotiateAppendJSONMatchesMarshal: AppendJSON writes exactly the
// bytes json.Marshal makes, for every shape of answer and for strings that
// need escaping (quotes, HTML characters, control characters, U+2028,
// invalid UTF-8) or not.
func TestNegotiateAppendJSONMatchesMarshal(t *testing.T) {
	strs := []string{"", "abc", "AbC-_09.xyz~", `q"uote`, `back\slash`, "<tag>&amp;", "tab\tnl\n\x00\x1f\x7f",
		"é ü 中", "line\u2028sep\u2029", "\xff\xfe bad", "p+a/s=s"}
	trs := []hubproto.AvailableTransport{
		{Transport: hubproto.TransportWebSockets, TransferFormats: []string{hubproto.FormatText, hubproto.FormatBinary}},
		{Transport: hubproto.TransportServerSentEvents, TransferFormats: []string{hubproto.FormatText}},
		{Transport: hubproto.TransportLongPolling, TransferFormats: nil},
		{Transport: "<x>", TransferFormats: []string{}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() string { return strs[rng.IntN(len(strs))] }
	for i := range 5000 {
		r := hubproto.NegotiateResponse{
			NegotiateVersion:     rng.IntN(3) - 1,
			ConnectionID:         pick(),
			ConnectionToken:      pick(),
			UseStatefulReconnect: rng.IntN(2) == 0,
		}
		switch n := rng.IntN(len(trs) + 2); n {
		case 0: // nil
		case 1:
			r.AvailableTransports = []hubproto.AvailableTransport{}
		default:
			r.AvailableTransports = trs[:n-1]
		}
		if i%7 == 0 { // a random byte string
			b := make([]byte, rng.IntN(12))
			for j := range b {
				b[j] = byte(rng.IntN(256))
			}
			r.ConnectionID = string(b)
		}
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.AppendJSON([]byte("prefix")); !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Fatalf("AppendJSON(%+v)\n got %s\nwant prefix%s", r, got, want)
		}
	}
}
