package upstream_test

import (
	"testing"

	"github.com/heraldrt/herald/shared/upstream"
)

// Vectors computed with: printf conn-1 | openssl dgst -sha256 -hmac KEY
const (
	keyPrimary   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"
	keySecondary = "secondary-key"
	sigPrimary   = "sha256=261F7F58FF9FB9BB8BE7E4951A807FE6091E5C074885BF63B865ECCD28728881"
	sigSecondary = "sha256=83E4539B4B54046F82358A2756701BF60B3F82A33D9F8284084FA3584667651F"
)

func TestSignature(t *testing.T) {
	if got := upstream.Signature("conn-1", []string{keyPrimary}); got != sigPrimary {
		t.Errorf("one key: %s", got)
	}
	if got := upstream.Signature("conn-1", []string{keyPrimary, keySecondary}); got != sigPrimary+","+sigSecondary {
		t.Errorf("two keys: %s", got)
	}
	if got := upstream.Signature("conn-1", nil); got != "" {
		t.Errorf("no keys: %q", got)
	}
}

func TestClaimsHeader(t *testing.T) {
	tests := []struct {
		name   string
		claims map[string]any
		want   string
	}{
		{"none", nil, ""},
		{"registered and system claims dropped", map[string]any{
			"aud": "http://localhost/client/?hub=chat", "exp": 1.7e9, "iat": 1.7e9, "nbf": 1.7e9, "iss": "x",
			"jti": "j", "asrs.s.uid": "alice", "asrs.s.htt": "1",
		}, ""},
		{"sorted pairs, reserved prefix removed", map[string]any{
			"sub": "alice", "role": []any{"admin", "user"}, "asrs.u.iss": "app", "level": 3.0, "ok": true,
		}, "iss: app, level: 3, ok: true, role: admin, role: user, sub: alice"},
		{"objects as JSON, nulls skipped, controls replaced", map[string]any{
			"obj": map[string]any{"a": 1.0}, "nil": nil, "bad": "line1\r\nline2",
		}, "bad: line1  line2, obj: {\"a\":1}"},
		{"large numbers", map[string]any{"n": 12345678901.0, "f": 0.5}, "f: 0.5, n: 12345678901"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := upstream.ClaimsHeader(tt.claims); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestClientQuery(t *testing.T) {
	for in, want := range map[string]string{
		"":                                   "",
		"?":                                  "",
		"hub=chat":                           "?hub=chat",
		"?hub=chat&id=secret&access_token=t": "?hub=chat",
		"id=x&access_token=y":                "",
		"a=1&&b=%20&access%5Ftoken=t&c":      "?a=1&b=%20&c",
	} {
		if got := upstream.ClientQuery(in); got != want {
			t.Errorf("ClientQuery(%q) = %q, want %q", in, got, want)
		}
	}
}
