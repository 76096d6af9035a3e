package token_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/token"
)

func TestClaimsUserID(t *testing.T) {
	const long = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"
	tests := []struct {
		name   string
		claims token.Claims
		want   string
	}{
		{"none", token.Claims{}, ""},
		{"nil", nil, ""},
		{"uid wins", token.Claims{"asrs.s.uid": "u", "nameid": "n", "sub": "s", long: "l"}, "u"},
		{"nameid before sub", token.Claims{"nameid": "n", "sub": "s", long: "l"}, "n"},
		{"sub before long form", token.Claims{"sub": "s", long: "l"}, "s"},
		{"long form", token.Claims{long: "l"}, "l"},
		{"non-string skipped", token.Claims{"asrs.s.uid": 42.0, "nameid": "n"}, "n"},
		{"empty skipped", token.Claims{"asrs.s.uid": "", "sub": "s"}, "s"},
		{"array takes first string", token.Claims{"nameid": []any{1.0, "first", "second"}}, "first"},
		{"array of non-strings skipped", token.Claims{"nameid": []any{1.0}, "sub": "s"}, "s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.claims.UserID(); got != tt.want {
				t.Errorf("UserID() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestClaimsString(t *testing.T) {
	c := token.Claims{"name": "ann", "n": 1.0, "a": []any{"x"}}
	for name, want := range map[string]string{"name": "ann", "n": "", "a": "", "missing": ""} {
		if got := c.String(name); got != want {
			t.Errorf("String(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestClaimsExpiry(t *testing.T) {
	tests := []struct {
		name string
		exp  any
		want time.Time
		ok   bool
	}{
		{"float", float64(t0.Unix()), t0, true},
		{"fraction", float64(t0.Unix()) + 0.5, t0.Add(500 * time.Millisecond), true},
		{"json number", json.Number("1748779200"), t0, true},
		{"int64", t0.Unix(), t0, true},
		{"string", "1748779200", time.Time{}, false},
		{"absent", nil, time.Time{}, false},
		{"huge", 1e300, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := token.Claims{}
			if tt.exp != nil {
				c["exp"] = tt.exp
			}
			got, ok := c.Expiry()
			if ok != tt.ok || !got.Equal(tt.want) {
				t.Errorf("Expiry() = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestClaimsAudience(t *testing.T) {
	if got := (token.Claims{"aud": "a"}).Audience(); len(got) != 1 || got[0] != "a" {
		t.Errorf("string aud: %q", got)
	}
	if got := (token.Claims{"aud": []any{"a", 1.0, "b"}}).Audience(); len(got) != 2 || got[1] != "b" {
		t.Errorf("array aud: %q", got)
	}
	if got := (token.Claims{}).Audience(); got != nil {
		t.Errorf("absent aud: %q", got)
	}
}
