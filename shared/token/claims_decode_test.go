package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The verifiers decode the payload with parsedClaims instead of letting
// golang-jwt decode it into a jwt.MapClaims. These tests hold the two to
// the same answers: the same error text for every token (so every refusal,
// its reason and its log stay as they were) and the same claims.

const decodeKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"

var decodeNow = time.Unix(1_750_000_000, 0)

// claimSeeds are payloads from real and attack tokens: SDK client and
// REST tokens, app tokens, and the shapes the parser must refuse or decode
// the same way (repeated names, escapes, invalid UTF-8, deep nesting,
// numbers at float64's limits, a payload that is not an object).
var claimSeeds = []string{
	`{"asrs.s.uid":"user-1","nbf":1749999000,"exp":1750003600,"iat":1749999000,"aud":"http://localhost/client/?hub=chat"}`,
	`{"nameid":"alice","asrs.s.aut":"Bearer","asrs.s.htt":"1","asrs.s.dc":"true","exp":1750003600,"aud":["https://x.service.signalr.net/client/?hub=chat","other"]}`,
	`{"aud":"http://localhost/api/hubs/chat/:send?api-version=2022-06-01","exp":1750003600}`,
	`{"sub":"app-user","iss":"https://issuer.example","exp":1750003600.5,"nbf":1749999999.25,"role":["a","b"],"custom":{"k":[1,2.5,-3,true,null]}}`,
	`{"exp":1749990000,"aud":"http://localhost/client/?hub=chat"}`, // expired beyond the leeway
	`{"exp":1750003600,"nbf":1750100000}`, // not yet valid
	`{"aud":"x"}`,                         // no exp
	`{"exp":"1750003600"}`,                // exp of the wrong type
	`{"exp":1750003600,"exp":1}`,          // repeated name: the last counts
	`{"exp":1e999}`,                       // out of float64's range
	`{"exp":1750003600,"n":-0,"m":-0.0,"big":123456789012345678901234567890,"f":0.1,"e":1E+2,"x":9007199254740993}`,
	`{"exp":1750003600,"s":"a\"b\\c\/d\u00e9\ud83d\ude00\ud800","u":"caf\u00e9 ü","t":"\t"}`,
	"{\"exp\":1750003600,\"bad\":\"\xff\xfe\",\"k\xc3\":1}",
	`{"exp":1750003600,"deep":[[[[[[[[[[{"a":[{}]}]]]]]]]]]],"e":{},"a":[]}`,
	" \t\r\n{ \"exp\" : 1750003600 , \"a\" : [ 1 , \"x\" ] } \n",
	`null`, `[]`, `[1]`, `"x"`, `17`, `true`, `{}`, ``, `{`, `{"exp":1750003600}x`, `{"exp":01}`,
}

// signPayload returns a token with header hdr and payload, signed with
// decodeKey by HS256 whatever the header says.
func signPayload(hdr, payload []byte) string {
	enc := base64.RawURLEncoding
	head := enc.EncodeToString(hdr) + "." + enc.EncodeToString(payload)
	mac := hmac.New(sha256.New, []byte(decodeKey))
	mac.Write([]byte(head))
	return head + "." + enc.EncodeToString(mac.Sum(nil))
}

// compareParse parses raw with golang-jwt twice, into a jwt.MapClaims as
// the verifiers used to and into parsedClaims, and fails unless both give
// the same error text and, without error, the same claims.
func compareParse(t *testing.T, raw string) {
	t.Helper()
	p := jwt.NewParser(timeOptions(0, DefaultLeeway, func() time.Time { return decodeNow },
		jwt.WithValidMethods([]string{"HS256", "HS512"}), jwt.WithExpirationRequired())...)
	keys := func(*jwt.Token) (any, error) {
		return jwt.VerificationKeySet{Keys: []jwt.VerificationKey{[]byte("other-key"), []byte(decodeKey)}}, nil
	}
	want := jwt.MapClaims{}
	_, werr := p.ParseWithClaims(raw, want, keys)
	var got parsedClaims
	_, gerr := p.ParseWithClaims(raw, &got, keys)
	if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
		t.Fatalf("token %q:\nMapClaims error: %v\nparsedClaims error: %v", raw, werr, gerr)
	}
	if werr == nil && !reflect.DeepEqual(Claims(want), got.claims()) {
		t.Fatalf("token %q:\nMapClaims: %#v\nparsedClaims: %#v", raw, want, got.claims())
	}
}

// compareDecode checks decodeClaims against json.Unmarshal into a
// map[string]any for a valid JSON payload: the same map, or ok false
// exactly where encoding/json fails or the payload is not an object.
func compareDecode(t *testing.T, payload []byte) {
	t.Helper()
	if !json.Valid(payload) {
		return // encoding/json refuses it before UnmarshalJSON is called
	}
	var want map[string]any
	werr := json.Unmarshal(payload, &want)
	got, ok := decodeClaims(payload)
	if !ok {
		if werr == nil && want != nil {
			t.Fatalf("payload %q: decodeClaims declined an object encoding/json decodes: %#v", payload, want)
		}
		return
	}
	if werr != nil {
		t.Fatalf("payload %q: decodeClaims accepted what encoding/json refuses: %v", payload, werr)
	}
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("payload %q:\nencoding/json: %#v\ndecodeClaims:  %#v", payload, want, got)
	}
}

var headerSeeds = []string{
	`{"alg":"HS256","typ":"JWT"}`,
	`{"alg":"HS512","typ":"JWT","kid":"k1"}`,
	`{"alg":"none","typ":"JWT"}`,
	`{"alg":"RS256"}`,
	`{"typ":"JWT"}`,
	`[]`,
}

func TestParsedClaimsMatchMapClaims(t *testing.T) {
	for _, h := range headerSeeds {
		for _, c := range claimSeeds {
			compareParse(t, signPayload([]byte(h), []byte(c)))
		}
	}
	for _, c := range claimSeeds {
		compareDecode(t, []byte(c))
	}
	// Tampered and malformed tokens take the same paths.
	good := signPayload([]byte(headerSeeds[0]), []byte(claimSeeds[0]))
	for _, raw := range []string{good[:len(good)-2] + "AA", good + "x", "a.b.c", good[:20], "..", "x"} {
		compareParse(t, raw)
	}
}

// TestDecodeClaimsValues pins what decodeClaims makes of the values the
// fast paths handle themselves.
func TestDecodeClaimsValues(t *testing.T) {
	m, ok := decodeClaims([]byte(`{"exp":1750003600,"n":-0,"f":2.5,"s":"a\u00e9","a":["x",1],"o":{},"b":false,"z":null}`))
	if !ok {
		t.Fatal("declined")
	}
	want := map[string]any{"exp": 1750003600.0, "n": 0.0, "f": 2.5, "s": "aé", "a": []any{"x", 1.0}, "o": map[string]any{}, "b": false, "z": nil}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("got %#v, want %#v", m, want)
	}
	for _, in := range []string{`[]`, `null`, `"x"`, `{"exp":1e999}`, `{"a":[{"b":-1e400}]}`} {
		if _, ok := decodeClaims([]byte(in)); ok {
			t.Errorf("%s: decoded, want it left to encoding/json", in)
		}
	}
}

func FuzzParsedClaims(f *testing.F) {
	for _, h := range headerSeeds {
		for _, c := range claimSeeds {
			f.Add([]byte(h), []byte(c))
		}
	}
	f.Fuzz(func(t *testing.T, hdr, payload []byte) {
		if len(hdr)+len(payload) > MaxLength {
			return
		}
		compareDecode(t, payload)
		compareParse(t, signPayload(hdr, payload))
	})
}
