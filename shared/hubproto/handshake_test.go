package hubproto

import (
	"errors"
	"strings"
	"testing"
)

func TestParseHandshake(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     HandshakeRequest
		wantRest string
		wantErr  error
		detail   string
	}{
		{"json v1", rec(`{"protocol":"json","version":1}`), HandshakeRequest{"json", 1}, "", nil, ""},
		{"messagepack v2", rec(`{"protocol":"messagepack","version":2}`), HandshakeRequest{"messagepack", 2}, "", nil, ""},
		{"rest follows", rec(`{"protocol":"json","version":1}`) + rec(`{"type":6}`) + `{"ty`,
			HandshakeRequest{"json", 1}, rec(`{"type":6}`) + `{"ty`, nil, ""},
		{"version first and unknown keys", rec(` {"version":1, "x":[{}], "protocol":"json"} `), HandshakeRequest{"json", 1}, "", nil, ""},
		{"escaped protocol", rec(`{"protocol":"js\u006fn","version":1}`), HandshakeRequest{"json", 1}, "", nil, ""},
		{"empty protocol parses", rec(`{"protocol":"","version":1}`), HandshakeRequest{"", 1}, "", nil, ""},
		{"no separator", `{"protocol":"json","version":1}`, HandshakeRequest{}, "", ErrIncomplete, ""},
		{"empty", ``, HandshakeRequest{}, "", ErrIncomplete, ""},
		{"bad json", rec(`{"protocol":"json",}`), HandshakeRequest{}, "", ErrInvalidMessage, "invalid JSON"},
		{"not object", rec(`["json",1]`), HandshakeRequest{}, "", ErrInvalidMessage, "not a JSON object"},
		{"missing protocol", rec(`{"version":1}`), HandshakeRequest{}, "", ErrInvalidMessage, "'protocol'"},
		{"protocol number", rec(`{"protocol":1,"version":1}`), HandshakeRequest{}, "", ErrInvalidMessage, "'protocol' to be a string"},
		{"missing version", rec(`{"protocol":"json"}`), HandshakeRequest{}, "", ErrInvalidMessage, "'version'"},
		{"version string", rec(`{"protocol":"json","version":"1"}`), HandshakeRequest{}, "", ErrInvalidMessage, "'version' to be an integer"},
		{"version float", rec(`{"protocol":"json","version":1.5}`), HandshakeRequest{}, "", ErrInvalidMessage, "'version' to be an integer"},
		{"version overflow", rec(`{"protocol":"json","version":99999999999}`), HandshakeRequest{}, "", ErrInvalidMessage, "'version' to be an integer"},
		{"bad record then good", rec(`{}`) + rec(`{"protocol":"json","version":1}`), HandshakeRequest{}, "", ErrInvalidMessage, "'protocol'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, rest, err := ParseHandshake([]byte(tt.in))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tt.detail) {
				t.Errorf("err = %q, want detail %q", err, tt.detail)
			}
			if req != tt.want {
				t.Errorf("req = %+v, want %+v", req, tt.want)
			}
			if string(rest) != tt.wantRest || (tt.wantRest == "" && rest != nil) {
				t.Errorf("rest = %q, want %q", rest, tt.wantRest)
			}
		})
	}
}

// fakeCodec stands in for a second protocol in SelectCodec tests.
type fakeCodec struct{ Codec }

func (fakeCodec) Name() string { return "messagepack" }
func (fakeCodec) Version() int { return 2 }

func TestSelectCodec(t *testing.T) {
	mp := fakeCodec{}
	tests := []struct {
		name    string
		req     HandshakeRequest
		want    Codec
		wantErr string
	}{
		{"json v1", HandshakeRequest{"json", 1}, JSON, ""},
		{"json v2", HandshakeRequest{"json", 2}, JSON, ""},
		{"messagepack", HandshakeRequest{"messagepack", 1}, mp, ""},
		{"json v3", HandshakeRequest{"json", 3}, nil, "The server does not support version 3 of the 'json' protocol."},
		{"json v0", HandshakeRequest{"json", 0}, nil, "The server does not support version 0 of the 'json' protocol."},
		{"unknown", HandshakeRequest{"xml", 1}, nil, "Requested protocol 'xml' is not available."},
		{"case sensitive", HandshakeRequest{"JSON", 1}, nil, "Requested protocol 'JSON' is not available."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, errText := SelectCodec(tt.req, nil, JSON, mp)
			if c != tt.want || errText != tt.wantErr {
				t.Errorf("SelectCodec = %v, %q; want %v, %q", c, errText, tt.want, tt.wantErr)
			}
		})
	}
}
