package token

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Audience is what a token's aud claim must name for the request it is used
// on.
//
// The rule is deliberately lenient, because a strict "aud equals the request
// URL" comparison rejects every real SDK token
// (docs/compat/tokens.md#audiences): the Azure SDKs
// build aud from the Endpoint with the port dropped, append ?hub= or
// ?api-version= (and ?application=) query parameters the request may not
// carry, and the request may arrive behind an API prefix or gateway stage
// ("/prod/api/hubs/chat/:send") that the aud does not name. The check is:
//
//   - aud is a string or an array of strings; any one entry matching is
//     enough, and a missing aud fails;
//   - each entry must be an absolute http, https, ws or wss URL; the scheme
//     and port are ignored and, when Hosts is non-empty, its host must be one
//     of Hosts (case-insensitive, ports ignored);
//   - its path, percent-unescaped, trailing "/" trimmed and compared
//     case-insensitively, must end Path (normalized the same way) at a
//     path-segment boundary: Path may add leading segments (an API prefix
//     or stage) and, only for that case, a trailing "/negotiate" (client
//     tokens name "/client/" while the requests are "/client/negotiate" and
//     "/client/"). An aud with an empty path matches only the root path;
//   - when the entry has a hub query parameter and Hub is set, the two must
//     be equal case-insensitively; other query parameters are ignored.
//
// The audience forms these rules follow are described in
// docs/azure-tokens.md.
//
// Kind adds the rules that tell client tokens and REST tokens apart, so
// neither passes where the other is expected (a path suffix alone does
// not: a REST audience ".../users/client" ends like the client endpoint):
//
//   - [ClientToken]: the entry must name the client endpoint as the SDKs
//     write it, "{base}/client/?hub={hub}": its last path segment is
//     "client", it has exactly one hub query parameter and it equals Hub,
//     and it has no api-version or application query parameter (those
//     mark REST audiences);
//   - [RESTToken]: the entry must not have a hub query parameter (client
//     audiences do), and its application query parameter must equal
//     Application case-insensitively, an entry without one matching only
//     requests without one (a token made for hub "chat" does not pass on
//     application "app"'s hub "chat", whose key is "app_chat").
type Audience struct {
	// Kind is the kind of token the request needs; AnyToken (the zero
	// value) applies the path and hub rules only.
	Kind Kind
	// Application is the application a REST request names (its
	// application query parameter), "" for none; used with RESTToken.
	Application string
	// Path is the request path the token is used on, unescaped, for example
	// "/client/negotiate" or "/api/hubs/chat/users/a@b/:send". Required.
	Path string
	// EscapedPath is the request path as sent, percent-encoded
	// (r.URL.EscapedPath()). When set it replaces Path, and both paths are
	// compared segment by segment with each segment unescaped: an escaped
	// "/" ("%2F") inside an id stays inside its segment, so ids cannot
	// spell another route's path (a token for /api/hubs/chat/:send must
	// not pass on /api/hubs/x/groups/a%2Fapi%2Fhubs%2Fchat/:send). Empty
	// uses Path.
	EscapedPath string
	// Hub is the hub the request addresses (lower-cased, with any application
	// prefix). When an aud entry carries a hub query parameter it must equal
	// Hub case-insensitively; "" skips the check.
	Hub string
	// Hosts lists the accepted aud hosts, case-insensitive, ports ignored
	// ("localhost:8888" and "localhost" are the same entry); empty accepts
	// any host.
	Hosts []string
	// Exact, when set, replaces every rule above: one aud entry must equal
	// it byte for byte. It is for Herald's own tokens, whose audience names
	// a purpose rather than a URL (the live trace's).
	Exact string
}

// Kind is the kind of token an [Audience] accepts.
type Kind int

// Kinds of tokens.
const (
	// AnyToken applies the path and hub rules only.
	AnyToken Kind = iota
	// ClientToken accepts client access tokens only (the gateway's
	// negotiate and connect).
	ClientToken
	// RESTToken accepts data-plane REST tokens only.
	RESTToken
)

// Match reports whether the aud values satisfy a, following the rule above.
// It returns nil or an error wrapping ErrAudience whose text shows what was
// expected and what the token named.
func (a Audience) Match(aud []string) error {
	if len(aud) == 0 {
		return fmt.Errorf("%w: token has no aud, expected %s", ErrAudience, a)
	}
	if a.Exact != "" {
		if slices.Contains(aud, a.Exact) {
			return nil
		}
	} else {
		want := a.requestPath()
		for _, entry := range aud {
			if a.matchOne(entry, want) {
				return nil
			}
		}
	}
	got := make([]string, len(aud))
	for i, s := range aud {
		got[i] = strconv.Quote(clip(s))
	}
	return fmt.Errorf("%w: expected %s, got [%s]", ErrAudience, a, strings.Join(got, ", "))
}

// String describes a for error messages.
func (a Audience) String() string {
	if a.Exact != "" {
		return fmt.Sprintf("exactly %q", a.Exact)
	}
	s := fmt.Sprintf("path %q", a.Path)
	if a.Hub != "" {
		s += fmt.Sprintf(" hub %q", a.Hub)
	}
	if len(a.Hosts) > 0 {
		s += fmt.Sprintf(" hosts %q", a.Hosts)
	}
	switch a.Kind {
	case ClientToken:
		s += fmt.Sprintf(" (a client token: aud <base>/client/?hub=%s)", a.Hub)
	case RESTToken:
		if a.Application != "" {
			s += fmt.Sprintf(" (a REST token of application %q)", clip(a.Application))
		} else {
			s += " (a REST token without application)"
		}
	}
	return s
}

func (a Audience) matchOne(entry, want string) bool {
	u, err := url.Parse(entry)
	if err != nil || u.Host == "" {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "ws", "wss":
	default:
		return false
	}
	if len(a.Hosts) > 0 && !a.hostAllowed(u.Hostname()) {
		return false
	}
	q := u.Query()
	if a.Hub != "" {
		for k, vs := range q {
			if strings.EqualFold(k, "hub") && len(vs) > 0 && !strings.EqualFold(vs[0], a.Hub) {
				return false
			}
		}
	}
	path := normPath(u.Path)
	if a.EscapedPath != "" {
		path = segmentPath(u.EscapedPath())
	}
	switch a.Kind {
	case ClientToken:
		if !a.clientEntry(q, path) {
			return false
		}
	case RESTToken:
		if queryValues(q, "hub") != nil || !strings.EqualFold(queryValue(q, "application"), a.Application) {
			return false
		}
	}
	return pathMatches(path, want)
}

// clientEntry applies the ClientToken rules to an entry's query and
// normalized path.
func (a Audience) clientEntry(q url.Values, path string) bool {
	hubs := queryValues(q, "hub")
	if a.Hub == "" || len(hubs) != 1 || !strings.EqualFold(hubs[0], a.Hub) {
		return false
	}
	if queryValues(q, "api-version") != nil || queryValues(q, "application") != nil {
		return false
	}
	return path == "/client" || strings.HasSuffix(path, "/client")
}

// queryValues returns every value of the query parameter name, compared
// case-insensitively; nil when there is none.
func queryValues(q url.Values, name string) []string {
	var out []string
	for k, vs := range q {
		if strings.EqualFold(k, name) {
			out = append(out, vs...)
		}
	}
	return out
}

// queryValue returns the first value of the query parameter name
// (case-insensitive), "" when there is none.
func queryValue(q url.Values, name string) string {
	if vs := queryValues(q, name); len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// requestPath is the normalized request path Match compares against:
// Path, or EscapedPath in segment form (see segmentPath).
func (a Audience) requestPath() string {
	if a.EscapedPath != "" {
		return segmentPath(a.EscapedPath)
	}
	return normPath(a.Path)
}

// segmentPath normalizes an escaped path like normPath, but unescapes each
// segment on its own and escapes a "%" or "/" inside it again, so a suffix
// match still starts at one of the request's own segment boundaries and
// "a%2Fb" (one segment) differs from "a/b" (two). A segment that does not
// unescape is kept as it is.
func segmentPath(escaped string) string {
	p := strings.TrimRight(escaped, "/")
	if p == "" {
		return ""
	}
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, seg := range segs {
		if u, err := url.PathUnescape(seg); err == nil {
			seg = segmentEscaper.Replace(u)
		}
		segs[i] = strings.ToLower(seg)
	}
	return "/" + strings.Join(segs, "/")
}

var segmentEscaper = strings.NewReplacer("%", "%25", "/", "%2F")

func (a Audience) hostAllowed(host string) bool {
	for _, h := range a.Hosts {
		if strings.EqualFold(stripPort(h), host) {
			return true
		}
	}
	return false
}

// pathMatches reports whether req ends with aud, optionally followed by
// "/negotiate" (client tokens name "/client/" and are also used on
// "/client/negotiate"). Both are normalized: "" or starting with "/" and not
// ending with "/", so a suffix match always starts at a segment boundary
// and any leading segments are an API prefix or stage. Trailing segments
// other than "/negotiate" never match: a client token must not pass on a
// REST path that merely contains a "client" segment.
func pathMatches(aud, req string) bool {
	if aud == "" {
		return req == ""
	}
	if strings.HasSuffix(req, aud) {
		return true
	}
	r, ok := strings.CutSuffix(req, "/negotiate")
	return ok && strings.HasSuffix(r, aud)
}

// normPath lower-cases p, ensures a leading "/" and trims trailing ones; the
// root path becomes "".
func normPath(p string) string {
	p = strings.ToLower(strings.TrimRight(p, "/"))
	if p != "" && p[0] != '/' {
		p = "/" + p
	}
	return p
}

// stripPort removes a port from host[:port], and brackets from IPv6.
func stripPort(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		return host
	}
	return strings.Trim(h, "[]")
}
