package hubproto

import (
	"encoding/json"
	"testing"
)

func TestNegotiateJSON(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"v1", NegotiateResponse{NegotiateVersion: 1, ConnectionID: "id", ConnectionToken: "tok", AvailableTransports: DefaultTransports()},
			`{"negotiateVersion":1,"connectionId":"id","connectionToken":"tok","availableTransports":[` +
				`{"transport":"WebSockets","transferFormats":["Text","Binary"]},` +
				`{"transport":"ServerSentEvents","transferFormats":["Text"]},` +
				`{"transport":"LongPolling","transferFormats":["Text","Binary"]}]}`},
		{"v0 stateful", NegotiateResponse{ConnectionID: "id", AvailableTransports: []AvailableTransport{}, UseStatefulReconnect: true},
			`{"negotiateVersion":0,"connectionId":"id","availableTransports":[],"useStatefulReconnect":true}`},
		{"redirect", RedirectResponse{URL: "https://svc/client/?hub=chat", AccessToken: "jwt"},
			`{"url":"https://svc/client/?hub=chat","accessToken":"jwt"}`},
		{"redirect no token", RedirectResponse{URL: "u"}, `{"url":"u"}`},
		{"error", ErrorResponse{Error: "Negotiate failed."}, `{"error":"Negotiate failed."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestDefaultTransportsIsFresh(t *testing.T) {
	a := DefaultTransports()
	a[0].TransferFormats[0] = "changed"
	if DefaultTransports()[0].TransferFormats[0] != FormatText {
		t.Fatal("DefaultTransports shares state between calls")
	}
}
