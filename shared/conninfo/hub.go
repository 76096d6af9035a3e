package conninfo

import (
	"errors"
	"strings"
)

// ErrInvalidHub is wrapped by errors for a hub or application name that does
// not match ^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$, the service's rule.
var ErrInvalidHub = errors.New("conninfo: invalid hub name")

// maxNameLen is the longest hub or application name.
const maxNameLen = 128

// ValidHubName reports whether s is a valid hub or application name: a
// letter followed by at most 127 letters, digits or any of _ ` , . [ ].
func ValidHubName(s string) bool {
	if len(s) == 0 || len(s) > maxNameLen || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isLetter(c) && !('0' <= c && c <= '9') && !strings.ContainsRune("_`,.[]", rune(c)) {
			return false
		}
	}
	return true
}

// HubKey returns the service-side hub key: lower(app) + "_" + lower(hub), or
// lower(hub) when app is "". It does not validate its arguments.
func HubKey(app, hub string) string {
	if app == "" {
		return strings.ToLower(hub)
	}
	return strings.ToLower(app) + "_" + strings.ToLower(hub)
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
