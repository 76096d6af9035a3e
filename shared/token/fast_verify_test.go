package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The fast path may only ever accept what golang-jwt's parser accepts,
// with the same claims; everything else goes to the parser. These tests
// hold it to that and check it does take the common token.

// fastAndParser returns a fast path and the parser configuration it stands
// in for: HS256 and HS512, two keys (the second the signing one), clock at
// decodeNow.
func fastAndParser() (fastPath, *jwt.Parser, jwt.Keyfunc) {
	opts := timeOptions(0, DefaultLeeway, func() time.Time { return decodeNow },
		jwt.WithValidMethods([]string{"HS256", "HS512"}), jwt.WithExpirationRequired())
	keys := [][]byte{[]byte("other-key"), []byte(decodeKey)}
	f := newFastPath([]string{"HS256", "HS512"}, keys, jwt.NewValidator(opts...))
	kf := func(*jwt.Token) (any, error) {
		return jwt.VerificationKeySet{Keys: []jwt.VerificationKey{keys[0], keys[1]}}, nil
	}
	return f, jwt.NewParser(opts...), kf
}

// compareFast fails when the fast path accepts raw and the parser does not,
// or gives other claims.
func compareFast(t *testing.T, raw string) (taken bool) {
	t.Helper()
	f, p, kf := fastAndParser()
	got := f.verify(raw)
	if got == nil {
		return false
	}
	var want parsedClaims
	if _, err := p.ParseWithClaims(raw, &want, kf); err != nil {
		t.Fatalf("token %q: fast path accepted, parser refused: %v", raw, err)
	}
	if !reflect.DeepEqual(want.claims(), got.claims()) {
		t.Fatalf("token %q:\nparser: %#v\nfast:   %#v", raw, want.claims(), got.claims())
	}
	return true
}

func TestFastPathOnlyAcceptsWhatTheParserAccepts(t *testing.T) {
	for _, h := range headerSeeds {
		for _, c := range claimSeeds {
			compareFast(t, signPayload([]byte(h), []byte(c)))
		}
	}
	good := signPayload([]byte(headerSeeds[0]), []byte(claimSeeds[0]))
	if !compareFast(t, good) {
		t.Fatal("the fast path declined a token golang-jwt's own header and a fresh payload")
	}
	// Tampered, padded, re-encoded and oversized tokens.
	parts := strings.Split(good, ".")
	for _, raw := range []string{
		good[:len(good)-2] + "AA", good + "x", good + "=", good + ".", "." + good,
		parts[0] + "=." + parts[1] + "." + parts[2], parts[0] + "." + parts[1] + "=." + parts[2],
		parts[0] + "." + parts[1] + "." + parts[2] + "==", parts[0] + ".." + parts[2],
		parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-1] + "B", // other trailing bits
		parts[0] + "." + parts[1] + "." + strings.Repeat("A", 200),
		parts[0] + "." + strings.Repeat("A", MaxLength) + "." + parts[2],
		"a.b.c", "..", "x", "",
	} {
		compareFast(t, raw)
	}
}

func TestFastPathKeysAndAlgs(t *testing.T) {
	f, _, _ := fastAndParser()
	hs512 := signWith(t, jwt.SigningMethodHS512, decodeKey, jwt.MapClaims{"exp": decodeNow.Add(time.Hour).Unix()})
	if f.verify(hs512) == nil {
		t.Error("HS512 token with the second key declined")
	}
	hs384 := signWith(t, jwt.SigningMethodHS384, decodeKey, jwt.MapClaims{"exp": decodeNow.Add(time.Hour).Unix()})
	if f.verify(hs384) != nil {
		t.Error("HS384 token accepted though HS384 is not allowed")
	}
	other := signWith(t, jwt.SigningMethodHS256, "third-key", jwt.MapClaims{"exp": decodeNow.Add(time.Hour).Unix()})
	if f.verify(other) != nil {
		t.Error("token signed with an unknown key accepted")
	}
	expired := signWith(t, jwt.SigningMethodHS256, decodeKey, jwt.MapClaims{"exp": decodeNow.Add(-time.Hour).Unix()})
	if f.verify(expired) != nil {
		t.Error("expired token accepted")
	}
	noExp := signWith(t, jwt.SigningMethodHS256, decodeKey, jwt.MapClaims{"aud": "x"})
	if f.verify(noExp) != nil {
		t.Error("token without exp accepted")
	}
}

func FuzzFastVerify(f *testing.F) {
	for _, h := range headerSeeds {
		for _, c := range claimSeeds {
			f.Add(signPayload([]byte(h), []byte(c)))
		}
	}
	f.Fuzz(func(t *testing.T, raw string) {
		compareFast(t, raw)
		// The fuzzer rarely forges a signature: also sign what it made.
		if i := strings.LastIndexByte(raw, '.'); i > 0 {
			if h, p, ok := strings.Cut(raw[:i], "."); ok && !strings.Contains(p, ".") {
				compareFast(t, resign(h, p))
			}
		}
	})
}

// resign signs the encoded header and payload segments as they are with
// decodeKey by HS256.
func resign(h, p string) string {
	mac := hmac.New(sha256.New, []byte(decodeKey))
	mac.Write([]byte(h + "." + p))
	return h + "." + p + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// signWith signs claims with golang-jwt itself.
func signWith(t *testing.T, method jwt.SigningMethod, key string, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
