package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/token"
)

// Any body, in either content type, gets a success or a client error,
// never a panic or a server error.
func FuzzSendBody(f *testing.F) {
	for _, seed := range []string{`{"target":"m","arguments":[1]}`, `{"Target":"m"}`, `null`, `[]`, "\x81\xa4json\xc4\x01\x1e", ""} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	b := bus.NewMemory(bus.MemoryConfig{})
	f.Cleanup(func() { _ = b.Close() })
	v, err := token.NewVerifier(token.VerifierConfig{Keys: []string{testKey}})
	if err != nil {
		f.Fatal(err)
	}
	iss, err := token.NewIssuer(token.IssuerConfig{Key: testKey})
	if err != nil {
		f.Fatal(err)
	}
	h, err := httpapi.NewREST(httpapi.RESTConfig{Bus: b, Verifier: v, Issuer: iss})
	if err != nil {
		f.Fatal(err)
	}
	const target = "/api/hubs/chat/:send?api-version=2022-06-01"
	tok, err := iss.Issue("http://localhost"+target, nil, 0)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string, binary bool) {
		ct := "application/json"
		if binary {
			ct = "application/octet-stream"
		}
		w := serve(h, "POST", target, body, "Content-Type", ct, "Authorization", "Bearer "+tok)
		if w.Code != http.StatusAccepted && w.Code != http.StatusBadRequest {
			t.Fatalf("status %d for %q (%s): %s", w.Code, body, ct, w.Body)
		}
	})
}
