package token

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// issueReference is Issue as golang-jwt alone makes the token: the claims
// in a jwt.MapClaims (reserved names renamed), encoded and signed by
// SignedString. issueFlat must produce the same bytes.
func issueReference(t testing.TB, i *Issuer, audience string, claims map[string]any, lifetime time.Duration) string {
	t.Helper()
	now := i.now()
	payload := jwt.MapClaims{"aud": audience, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(lifetime).Unix()}
	for name, v := range claims {
		if reserved[name] {
			name = ReservedPrefix + name
		}
		payload[name] = v
	}
	s, err := jwt.NewWithClaims(i.method, payload).SignedString(i.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newTestIssuer(t testing.TB, alg string) *Issuer {
	t.Helper()
	i, err := NewIssuer(IssuerConfig{Key: decodeKey, Algorithm: alg, Now: func() time.Time { return decodeNow }})
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func TestIssueFlatMatchesGolangJWT(t *testing.T) {
	cases := []map[string]any{
		nil,
		{ClaimUserID: "user-1"},
		{ClaimUserID: "user-1", ClaimDiagnostic: "true", "asrs.s.htt": "1"},
		{"aud": "x", "exp": "y", "nonce": 1, "jti": true, "iss": int64(-5)}, // reserved: renamed
		{"n": 0, "b": false, "big": int64(1) << 62},
		{"html": "<a href='x'>&amp;</a>", "quote": `a"b\c`, "ctl": "a\tb\nc\x01", "uni": "café ü 🎉", "ls": "a\u2028b\u2029", "bad": "\xff\xfe"},
		{"<k>": "v", "é": "w", "": "empty name"},
		{"amp": "a&b", "gt": "x>y", "lt": "x<y", "q": `"`, "bs": `\`, "nl": "\n", "del": "\x7f"},
	}
	for _, alg := range []string{"HS256", "HS512"} {
		i := newTestIssuer(t, alg)
		for _, c := range cases {
			got, ok := i.issueFlat("http://localhost/client/?hub=chat", c, decodeNow, time.Hour)
			if !ok {
				t.Fatalf("%s %v: declined", alg, c)
			}
			if want := issueReference(t, i, "http://localhost/client/?hub=chat", c, time.Hour); got != want {
				t.Fatalf("%s %v:\n got %s\nwant %s", alg, c, got, want)
			}
		}
	}
	// Values it does not encode itself, and a renamed reserved name beside
	// the same name given by the caller, take golang-jwt's path.
	i := newTestIssuer(t, "")
	for _, c := range []map[string]any{
		{"f": 1.5}, {"a": []string{"x"}}, {"m": map[string]any{}}, {"n": nil}, {"u": uint(1)},
		{"aud": "x", ReservedPrefix + "aud": "y"},
	} {
		if _, ok := i.issueFlat("a", c, decodeNow, time.Hour); ok {
			t.Errorf("%v: encoded by issueFlat", c)
		}
		if _, err := i.Issue("a", c, time.Hour); err != nil {
			t.Errorf("%v: %v", c, err)
		}
	}
}

// TestIssueFlatTooLong checks the length limit holds on the fast path.
func TestIssueFlatTooLong(t *testing.T) {
	i := newTestIssuer(t, "")
	big := make([]byte, MaxLength)
	for k := range big {
		big[k] = 'x'
	}
	tok, err := i.Issue("a", map[string]any{"c": string(big)}, 0)
	if tok != "" || err == nil {
		t.Fatalf("got %d characters, err %v; want ErrTooLong", len(tok), err)
	}
}

func FuzzIssueFlat(f *testing.F) {
	f.Add("asrs.s.uid", "user-1", "nameid", int64(7), true)
	f.Add("aud", "<&>", "exp", int64(-1), false)
	f.Add("é\x00", "\xff\u2028", "asrs.u.aud", int64(0), true)
	f.Fuzz(func(t *testing.T, n1, v1, n2 string, v2 int64, v3 bool) {
		i := newTestIssuer(t, "")
		c := map[string]any{n1: v1, n2: v2, "b": v3}
		got, ok := i.issueFlat("http://localhost/client/?hub=chat", c, decodeNow, time.Hour)
		if !ok {
			return // a name collision after renaming: golang-jwt's path
		}
		if want := issueReference(t, i, "http://localhost/client/?hub=chat", c, time.Hour); got != want {
			t.Fatalf("%q:\n got %s\nwant %s", c, got, want)
		}
	})
}
