package upstream_test

import (
	"errors"
	"testing"

	"github.com/heraldrt/herald/shared/upstream"
)

func TestMatch(t *testing.T) {
	s := upstream.Settings{Templates: []upstream.Template{
		{URLTemplate: "http://one/{event}", HubPattern: "chat", CategoryPattern: "messages", EventPattern: "broadcast, echo"},
		{URLTemplate: "http://two/{hub}/{category}", HubPattern: " chat , Admin ", CategoryPattern: "connections"},
		{URLTemplate: "http://three/", HubPattern: "other", EventPattern: "x,*"},
		{URLTemplate: "http://four/{hub}?e={event}&c={category}", CategoryPattern: "messages", EventPattern: "*"},
	}}
	tests := []struct {
		hub, category, event string
		want                 string // "" means ErrNoMatch
	}{
		{"chat", "messages", "broadcast", "http://one/broadcast"},
		{"chat", "messages", "echo", "http://one/echo"},
		{"CHAT", "Messages", "ECHO", "http://one/ECHO"},                      // case-insensitive names
		{"chat", "messages", "echo2", "http://four/chat?e=echo2&c=messages"}, // first match wins, exact items only
		{"chat", "connections", "connected", "http://two/chat/connections"},
		{"admin", "connections", "disconnected", "http://two/admin/connections"},
		{"other", "connections", "connected", "http://three/"}, // "*" inside a list
		{"nobody", "connections", "connected", ""},
		{"a b/c", "messages", "send?x=1&y", "http://four/a%20b%2Fc?e=send%3Fx%3D1%26y&c=messages"},
		{"chat", "messages", "héllo", "http://four/chat?e=h%C3%A9llo&c=messages"},
	}
	for _, tt := range tests {
		got, err := s.Match(tt.hub, tt.category, tt.event)
		if tt.want == "" {
			if !errors.Is(err, upstream.ErrNoMatch) {
				t.Errorf("Match(%q, %q, %q) = %q, %v; want ErrNoMatch", tt.hub, tt.category, tt.event, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Match(%q, %q, %q) = %q, %v; want %q", tt.hub, tt.category, tt.event, got, err, tt.want)
		}
	}
}

func TestMatchPatterns(t *testing.T) {
	tests := []struct {
		pattern, value string
		want           bool
	}{
		{"", "anything", true},
		{"  ", "anything", true},
		{"*", "anything", true},
		{"a", "a", true},
		{"a", "A", true},
		{"a", "ab", false},
		{"a,b", "b", true},
		{" a , b ", "b", true},
		{"a,,b", "", false},
		{"a, *", "zzz", true},
		{"a b", "a", false},
	}
	for _, tt := range tests {
		s := upstream.Settings{Templates: []upstream.Template{{URLTemplate: "http://h/", EventPattern: tt.pattern}}}
		_, err := s.Match("hub", "messages", tt.value)
		if got := err == nil; got != tt.want {
			t.Errorf("pattern %q value %q: match %v, want %v", tt.pattern, tt.value, got, tt.want)
		}
	}
}

func TestMatchKeepsUnknownPlaceholders(t *testing.T) {
	s := upstream.Settings{Templates: []upstream.Template{{URLTemplate: "http://h/{hub}/{x}{"}}}
	got, err := s.Match("chat", "messages", "e")
	if err != nil || got != "http://h/chat/{x}{" {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestMatchNoTemplates(t *testing.T) {
	if _, err := (upstream.Settings{}).Match("h", "messages", "e"); !errors.Is(err, upstream.ErrNoMatch) {
		t.Errorf("err = %v", err)
	}
}

func TestEscapeDataString(t *testing.T) {
	for in, want := range map[string]string{
		"":            "",
		"AZaz09-._~":  "AZaz09-._~",
		"a b+c/d?e#f": "a%20b%2Bc%2Fd%3Fe%23f",
		"é":           "%C3%A9",
		"{hub}":       "%7Bhub%7D",
	} {
		if got := upstream.EscapeDataString(in); got != want {
			t.Errorf("EscapeDataString(%q) = %q, want %q", in, got, want)
		}
	}
}
