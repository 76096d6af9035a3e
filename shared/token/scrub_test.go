package token

import "testing"

func TestScrub(t *testing.T) {
	tok := "eyJhbGciOiJIUzI1NiJ9.e30.sig"
	if got := Scrub("bad token "+tok+" here", "", tok); got != "bad token [token] here" {
		t.Fatalf("Scrub: %q", got)
	}
	if got := Scrub("a short x", "x"); got != "a short x" {
		t.Fatalf("a short token was replaced: %q", got)
	}
}
