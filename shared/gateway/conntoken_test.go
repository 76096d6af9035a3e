package gateway

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestConnTokens(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	primary := newConnTokens([]string{"key-1", "key-2"})
	secondary := newConnTokens([]string{"key-2"})
	id, raw := newConnectionID()
	tok := primary.issue(raw, "chat", "alice", now.Add(15*time.Second))

	got, err := primary.verify(tok, "chat", "alice", now)
	if err != nil || got != id {
		t.Fatalf("verify: %q %v, want %q", got, err, id)
	}
	cases := []struct {
		name       string
		ct         *connTokens
		tok, hub   string
		user       string
		at         time.Time
		wantErr    error
		wantPublic bool
	}{
		{"other hub", primary, tok, "news", "alice", now, errConnTokenInvalid, false},
		{"other user", primary, tok, "chat", "bob", now, errConnTokenInvalid, false},
		{"anonymous vs user", primary, tok, "chat", "", now, errConnTokenInvalid, false},
		{"expired", primary, tok, "chat", "alice", now.Add(16 * time.Second), errConnTokenExpired, false},
		{"truncated", primary, tok[:len(tok)-1], "chat", "alice", now, errConnTokenInvalid, false},
		{"not base64", primary, "!!" + tok[2:], "chat", "alice", now, errConnTokenInvalid, false},
		{"tampered", primary, flip(tok), "chat", "alice", now, errConnTokenInvalid, false},
		{"unknown key", newConnTokens([]string{"key-3"}), tok, "chat", "alice", now, errConnTokenInvalid, false},
		{"public id", primary, id, "chat", "alice", now, errConnTokenInvalid, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.ct.verify(tc.tok, tc.hub, tc.user, tc.at); !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
		})
	}
	// An expired token still names its connection (its later requests).
	if got, err := primary.verify(tok, "chat", "alice", now.Add(time.Hour)); got != id || !errors.Is(err, errConnTokenExpired) {
		t.Fatalf("expired: %q %v, want %q and errConnTokenExpired", got, err, id)
	}
	// A node that knows only the secondary key verifies tokens it signed;
	// the primary node accepts them too (key rotation).
	tok2 := secondary.issue(raw, "chat", "", now.Add(time.Second))
	if _, err := primary.verify(tok2, "chat", "", now); err != nil {
		t.Fatalf("secondary-signed token: %v", err)
	}
}

func flip(s string) string {
	b := []byte(s)
	if b[10] == 'A' {
		b[10] = 'B'
	} else {
		b[10] = 'A'
	}
	return string(b)
}

func FuzzConnTokenVerify(f *testing.F) {
	ct := newConnTokens([]string{"k"})
	_, raw := newConnectionID()
	f.Add(ct.issue(raw, "chat", "u", time.Now().Add(time.Minute)))
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		_, _ = ct.verify(tok, "chat", "u", time.Now()) // must never panic
	})
}

// A self-named token (negotiate version 0) is its connection's id; a
// variant in the unused low bits of its last character names the same
// connection, so the single-use claim covers it; its kind byte is under
// the MAC.
func TestConnTokenSelfNamed(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	ct := newConnTokens([]string{"key-1"})
	_, raw := newConnectionID()
	tok := ct.issueSelfNamed(raw, "chat", "alice", now.Add(15*time.Second))
	if len(tok) != 55 || strings.Trim(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		t.Fatalf("token %q: want 55 base64url characters", tok)
	}
	if got, err := ct.verify(tok, "chat", "alice", now); err != nil || got != tok {
		t.Fatalf("verify: %q %v, want the token itself", got, err)
	}
	// 41 bytes leave 2 unused bits in the last of 55 characters.
	b := []byte(tok)
	b[len(b)-1] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[strings.IndexByte(
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", b[len(b)-1])^1]
	if got, err := ct.verify(string(b), "chat", "alice", now); err != nil || got != tok {
		t.Fatalf("variant %q: %q %v, want %q", b, got, err, tok)
	}
	// Turning a version 1 token into a self-named one breaks its MAC.
	v1 := ct.issue(raw, "chat", "alice", now.Add(15*time.Second))
	if v1[:2] == tok[:2] {
		t.Fatal("kinds encode alike")
	}
	forged := tok[:2] + v1[2:]
	if _, err := ct.verify(forged, "chat", "alice", now); !errors.Is(err, errConnTokenInvalid) {
		t.Fatalf("kind flipped: %v, want errConnTokenInvalid", err)
	}
	if _, err := ct.verify(tok, "chat", "bob", now); !errors.Is(err, errConnTokenInvalid) {
		t.Fatalf("other user: %v, want errConnTokenInvalid", err)
	}
}

// TestConnTokenMACReuse checks the pooled HMACs against a fresh one for
// each MAC, from several goroutines at once: a reused HMAC must start from
// its key alone, never from an earlier MAC's input.
func TestConnTokenMACReuse(t *testing.T) {
	ct := newConnTokens([]string{"key-1", "key-2"})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for n := range 200 {
				_, raw := newConnectionID()
				hub, user := fmt.Sprintf("hub%d", n%7), strings.Repeat("u", (g+n)%5)
				var body [1 + connIDBytes + 8]byte
				copy(body[1:], raw[:])
				for k, key := range ct.keys {
					m := hmac.New(sha256.New, key)
					m.Write(body[:])
					writeField(m, hub)
					writeField(m, user)
					want := m.Sum(nil)[:connTokenMACLen]
					var out [sha256.Size]byte
					if got := ct.mac(&out, k, body[:], hub, user); !hmac.Equal(got, want) {
						t.Errorf("key %d, %q %q: MAC %x, want %x", k, hub, user, got, want)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}
