package gateway

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/shared/token"
)

// connectClaims is connect with a token carrying extra claims.
func (h *harness) connectClaims(hub, user string, extra map[string]any) *client {
	h.t.Helper()
	return h.connectFull(hubproto.JSON, hub, user, extra)
}

// A connection whose token carries asrs.s.coae is closed with a Close
// message saying so once its authentication expires (asrs.s.aeo, else exp);
// others stay open.
func TestCloseOnAuthExpiration(t *testing.T) {
	h := newHarness(t, nil)
	soon := strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10)
	aeo := h.connectClaims("chat", "a", map[string]any{"asrs.s.coae": "true", "asrs.s.aeo": soon})
	keep := h.connectClaims("chat", "b", map[string]any{"asrs.s.aeo": soon}) // no coae: stays
	for _, c := range []*client{aeo} {
		m := c.next()
		if m.Type != hubproto.TypeClose || m.Error != ReasonTokenExpired || m.AllowReconnect {
			t.Fatalf("got %+v, want Close %q", m, ReasonTokenExpired)
		}
	}
	publish(t, h.bus, sendEnv("chat", bus.ScopeAll, "", "still", `[]`))
	keep.expectInvocation("still", `[]`)
}

func TestCloseOnTokenExp(t *testing.T) {
	h := newHarness(t, nil)
	iss, err := token.NewIssuer(token.IssuerConfig{Key: testKey, Lifetime: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	h.iss = iss
	c := h.connectClaims("chat", "a", map[string]any{"asrs.s.coae": true})
	if m := c.next(); m.Type != hubproto.TypeClose || m.Error != ReasonTokenExpired {
		t.Fatalf("got %+v, want Close %q", m, ReasonTokenExpired)
	}
}

func TestAuthExpiryClaims(t *testing.T) {
	exp := float64(time.Now().Add(time.Hour).Unix())
	cases := []struct {
		claims token.Claims
		want   bool
	}{
		{token.Claims{"exp": exp}, false},
		{token.Claims{"exp": exp, "asrs.s.coae": "True"}, true},
		{token.Claims{"exp": exp, "asrs.s.coae": "false"}, false},
		{token.Claims{"asrs.s.coae": true, "asrs.s.aeo": "1700000000"}, true},
	}
	for _, tc := range cases {
		if got := !authExpiry(tc.claims).IsZero(); got != tc.want {
			t.Errorf("%v: expires %v, want %v", tc.claims, got, tc.want)
		}
	}
	if got := authExpiry(token.Claims{"asrs.s.coae": "true", "asrs.s.aeo": "1700000000", "exp": exp}); got.Unix() != 1700000000 {
		t.Errorf("asrs.s.aeo must win over exp: %v", got)
	}
}

func TestHandshakeTimeoutClaim(t *testing.T) {
	def := 15 * time.Second
	cases := []struct {
		v    any
		want time.Duration
	}{
		{nil, def}, {"20", 20 * time.Second}, {float64(25), 25 * time.Second}, {"300", 30 * time.Second},
		{"0", def}, {"x", def}, {"5", 5 * time.Second},
	}
	for _, tc := range cases {
		c := token.Claims{}
		if tc.v != nil {
			c["asrs.s.cht"] = tc.v
		}
		if got := handshakeTimeout(c, def); got != tc.want {
			t.Errorf("asrs.s.cht %v: %v, want %v", tc.v, got, tc.want)
		}
	}
}

// The asrs.s.cht claim gives a slow client longer than HandshakeTimeout.
func TestHandshakeTimeoutClaimRaises(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.HandshakeTimeout = 50 * time.Millisecond })
	nr, _ := negotiated(t, h, "chat", "")
	tok := h.clientToken("chat", "", map[string]any{"asrs.s.cht": "20"})
	_, body := h.negotiate("hub=chat&negotiateVersion=1", tok)
	if err := json.Unmarshal(body, &nr); err != nil {
		t.Fatal(err)
	}
	c := h.dial("chat", nr.ConnectionToken, tok)
	time.Sleep(300 * time.Millisecond) // six default handshake timeouts
	c.handshake(`{"protocol":"json","version":1}`)
	if got := c.readText(); got != "{}\x1e" {
		t.Fatalf("handshake response %q", got)
	}
}
