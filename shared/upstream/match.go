package upstream

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Categories and connection events (docs/compat/upstream.md#events).
const (
	// CategoryConnections is the category of connected and disconnected.
	CategoryConnections = "connections"
	// CategoryMessages is the category of client invocations; their event
	// is the invocation target.
	CategoryMessages = "messages"
	// EventConnected is sent after the client's handshake.
	EventConnected = "connected"
	// EventDisconnected is sent after the connection is gone.
	EventDisconnected = "disconnected"
)

// Match returns the URL of the first template whose patterns all match hub,
// category and event, with the placeholders replaced. It returns an error
// wrapping ErrNoMatch when none matches, and one wrapping
// ErrInvalidSettings when the matching template does not yield an absolute
// http or https URL (Validate rules that out for valid settings).
func (s Settings) Match(hub, category, event string) (string, error) {
	for i, t := range s.Templates {
		if !matchPattern(t.HubPattern, hub) || !matchPattern(t.CategoryPattern, category) || !matchPattern(t.EventPattern, event) {
			continue
		}
		raw := expand(t.URLTemplate, hub, category, event)
		if _, err := parseUpstreamURL(raw); err != nil {
			return "", fmt.Errorf("%w: Templates[%d]: %w", ErrInvalidSettings, i, err)
		}
		return raw, nil
	}
	return "", ErrNoMatch
}

// matchPattern reports whether value matches pattern: "" and "*" match
// anything; otherwise pattern is a comma-separated list of trimmed names,
// compared case-insensitively, in which "*" matches anything. It does not
// allocate.
func matchPattern(pattern, value string) bool {
	if strings.TrimSpace(pattern) == "" {
		return true
	}
	for rest := pattern; ; {
		item, tail, more := strings.Cut(rest, ",")
		item = strings.TrimSpace(item)
		if item == "*" || (item != "" && strings.EqualFold(item, value)) {
			return true
		}
		if !more {
			return false
		}
		rest = tail
	}
}

// expand replaces {hub}, {category} and {event} in template with the
// URI-escaped values. Other braces are kept as written.
func expand(template, hub, category, event string) string {
	if !strings.Contains(template, "{") {
		return template
	}
	var b strings.Builder
	for rest := template; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			return b.String()
		}
		b.WriteString(rest[:i])
		rest = rest[i:]
		switch {
		case strings.HasPrefix(rest, "{hub}"):
			b.WriteString(EscapeDataString(hub))
			rest = rest[len("{hub}"):]
		case strings.HasPrefix(rest, "{category}"):
			b.WriteString(EscapeDataString(category))
			rest = rest[len("{category}"):]
		case strings.HasPrefix(rest, "{event}"):
			b.WriteString(escapeSegment(event))
			rest = rest[len("{event}"):]
		default:
			b.WriteByte('{')
			rest = rest[1:]
		}
	}
}

// escapeSegment is EscapeDataString, except that "." and ".." (the only
// values it would leave as dot segments) have their dots percent-encoded
// too: an upstream that resolves dot segments must not see one.
func escapeSegment(s string) string {
	if s == "." || s == ".." {
		return strings.Repeat("%2E", len(s))
	}
	return EscapeDataString(s)
}

// checkEventName refuses an invocation target that cannot name an event:
// not valid UTF-8 (its bytes would reach the upstream as U+FFFD in the
// body), or "." or "..": even percent-encoded (escapeSegment), an upstream
// that decodes the path before resolving dot segments (as Go's net/http
// does) would resolve {event} away and route the call elsewhere (see
// docs/limits-and-validation.md).
func checkEventName(name string) error {
	switch {
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidTarget)
	case name == "." || name == "..":
		return fmt.Errorf("%w: %q is a dot segment", ErrInvalidTarget, name)
	}
	return nil
}

// EscapeDataString percent-encodes every byte of s except the RFC 3986
// unreserved characters (A-Z a-z 0-9 - . _ ~), with upper-case hex digits,
// as .NET's Uri.EscapeDataString does. The result is safe in a path
// segment and in a query value.
func EscapeDataString(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	return string(b)
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
