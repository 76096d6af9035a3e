package token

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

func TestParseJWKS(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := k.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	x := base64.RawURLEncoding.EncodeToString(pt[1:33])
	y := base64.RawURLEncoding.EncodeToString(pt[33:])
	padded := base64.URLEncoding.EncodeToString(pt[1:33])
	offCurve := base64.RawURLEncoding.EncodeToString(append([]byte{pt[1] ^ 1}, pt[2:33]...))
	modulus := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xc5}, 256))
	zero := base64.RawURLEncoding.EncodeToString(make([]byte, 256))
	huge := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xc5}, maxRSABits/8+1))
	ec := func(kid, crv, x, y string) string {
		return fmt.Sprintf(`{"kty":"EC","kid":%q,"crv":%q,"x":%q,"y":%q}`, kid, crv, x, y)
	}

	many := make([]string, maxJWKSKeys+5)
	for i := range many {
		many[i] = ec(fmt.Sprint(i), "P-256", x, y)
	}
	tests := []struct {
		name string
		doc  string
		kids []string // usable keys, in order; nil means an error
	}{
		{"ec", `{"keys":[` + ec("a", "P-256", x, y) + `]}`, []string{"a"}},
		{"padded base64", `{"keys":[` + ec("a", "P-256", padded, y) + `]}`, []string{"a"}},
		{"rsa e=AQAB", `{"keys":[{"kty":"RSA","kid":"r","n":"` + modulus + `","e":"AQAB"}]}`, []string{"r"}},
		{"skips bad keys", `{"keys":[` +
			ec("off", "P-256", offCurve, y) + `,` +
			ec("curve", "P-192", x, y) + `,` +
			ec("enc", "P-256", x, y)[:len(ec("enc", "P-256", x, y))-1] + `,"use":"enc"},` +
			`{"kty":"oct","kid":"sym","k":"c2VjcmV0"},` +
			`{"kty":"RSA","kid":"even","n":"AQAB","e":"Ag"},` +
			`{"kty":"RSA","kid":"bige","n":"AQAB","e":"AQABAQAB"},` +
			`{"kty":"RSA","kid":"zero","n":"` + zero + `","e":"AQAB"},` +
			`{"kty":"RSA","kid":"huge","n":"` + huge + `","e":"AQAB"},` +
			`"not an object",` +
			ec("good", "P-256", x, y) + `]}`, []string{"good"}},
		{"bounded count", `{"keys":[` + strings.Join(many, ",") + `]}`, kidsUpTo(maxJWKSKeys)},
		{"no usable key", `{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`, nil},
		{"empty", `{"keys":[]}`, nil},
		{"not JSON", `<html>`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := parseJWKS([]byte(tt.doc))
			if tt.kids == nil {
				if err == nil {
					t.Fatalf("parseJWKS accepted %s", tt.doc)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != len(tt.kids) {
				t.Fatalf("got %d keys, want %v", len(keys), tt.kids)
			}
			for i, k := range keys {
				if k.Marshal().KID != tt.kids[i] {
					t.Errorf("key %d kid = %q, want %q", i, k.Marshal().KID, tt.kids[i])
				}
			}
		})
	}
}

// kidsUpTo returns the kids "0" to "n-1".
func kidsUpTo(n int) []string {
	kids := make([]string, n)
	for i := range kids {
		kids[i] = fmt.Sprint(i)
	}
	return kids
}
