package conninfo_test

import (
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/conninfo"
)

func TestValidHubName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"chat", true},
		{"Chat", true},
		{"c", true},
		{"a1_`,.[]", true},
		{"a" + strings.Repeat("b", 127), true},
		{"a" + strings.Repeat("b", 128), false},
		{"", false},
		{"1chat", false},
		{"_chat", false},
		{"chat-room", false},
		{"chat room", false},
		{"chat/x", false},
		{"chät", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := conninfo.ValidHubName(tt.name); got != tt.ok {
				t.Errorf("ValidHubName(%q) = %v, want %v", tt.name, got, tt.ok)
			}
		})
	}
}

func TestHubKey(t *testing.T) {
	tests := []struct{ app, hub, want string }{
		{"", "Chat", "chat"},
		{"MyApp", "Chat", "myapp_chat"},
		{"a", "b", "a_b"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := conninfo.HubKey(tt.app, tt.hub); got != tt.want {
				t.Errorf("HubKey(%q, %q) = %q, want %q", tt.app, tt.hub, got, tt.want)
			}
		})
	}
}
