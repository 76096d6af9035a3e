package connstr

import (
	"net"
	"net/url"
	"strconv"
	"strings"
)

// ConnectionString is a parsed Azure SignalR connection string. The zero
// value has no Endpoint; use [Parse] to build one.
type ConnectionString struct {
	// Endpoint is the service endpoint as written, scheme lower-cased and
	// trailing '/' trimmed. Port, when set, overrides its port in every URL
	// the SDK sends requests to, but never in the audience.
	Endpoint *url.URL
	// AccessKey is the HMAC secret. Tokens are signed with its UTF-8 bytes as
	// written (it is not base64-decoded). Empty only when AuthType is set.
	AccessKey string
	// Version is the Version property ("1.0" in practice); "" when unset.
	Version string
	// Port overrides the port of Endpoint; 0 when unset.
	Port int
	// ClientEndpoint replaces Endpoint in the URL handed to clients; nil
	// when unset. Port does not apply to it.
	ClientEndpoint *url.URL
	// ServerEndpoint replaces Endpoint for REST calls; nil when unset. Port
	// does not apply to it.
	ServerEndpoint *url.URL
	// AuthType selects Microsoft Entra ID authentication ("aad", "azure",
	// "azure.app", "azure.msi") instead of AccessKey; "" when unset.
	AuthType string
}

// String returns the canonical, emulator-style form of c:
//
//	Endpoint=http://localhost;Port=8888;AccessKey=...;Version=1.0;
//
// followed by ClientEndpoint, ServerEndpoint and AuthType when set. Unset
// properties are omitted. The result contains the AccessKey: treat it as a
// secret. [Parse] of the result gives back an equal ConnectionString.
func (c ConnectionString) String() string {
	var b strings.Builder
	prop := func(k, v string) {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
		b.WriteByte(';')
	}
	if c.Endpoint != nil {
		prop("Endpoint", strings.TrimRight(c.Endpoint.String(), "/"))
	}
	if c.Port != 0 {
		prop("Port", strconv.Itoa(c.Port))
	}
	if c.AccessKey != "" {
		prop("AccessKey", c.AccessKey)
	}
	if c.Version != "" {
		prop("Version", c.Version)
	}
	if c.ClientEndpoint != nil {
		prop("ClientEndpoint", c.ClientEndpoint.String())
	}
	if c.ServerEndpoint != nil {
		prop("ServerEndpoint", c.ServerEndpoint.String())
	}
	if c.AuthType != "" {
		prop("AuthType", c.AuthType)
	}
	return b.String()
}

// ClientBase returns the base of the URL handed to clients: ClientEndpoint
// when set, else Endpoint with Port applied. It is an absolute URL ending
// with "/" (the SDK's Uri.AbsoluteUri): scheme and host lower-cased, the
// scheme's default port omitted, query and fragment dropped. The client URL
// is ClientBase() + "client/?hub=" + hub. Unlike the SDK, a ClientEndpoint
// with a path always gets a "/" before "client/". It returns "" when c has
// no Endpoint.
func (c ConnectionString) ClientBase() string {
	if c.ClientEndpoint != nil {
		return base(c.ClientEndpoint, 0)
	}
	return base(c.Endpoint, c.Port)
}

// ServerBase returns the base of REST URLs: ServerEndpoint when set, else
// Endpoint with Port applied, in the same form as [ConnectionString.ClientBase].
// It returns "" when c has no Endpoint.
func (c ConnectionString) ServerBase() string {
	if c.ServerEndpoint != nil {
		return base(c.ServerEndpoint, 0)
	}
	return base(c.Endpoint, c.Port)
}

// AudienceBase returns "{scheme}://{host}/" built from Endpoint only: the
// port (from Endpoint or Port) and any path are dropped, as the SDK does for
// every token audience. The client token audience is AudienceBase() +
// "client/?hub=" + hub. It returns "" when c has no Endpoint.
func (c ConnectionString) AudienceBase() string {
	if c.Endpoint == nil {
		return ""
	}
	return strings.ToLower(c.Endpoint.Scheme) + "://" + hostOnly(c.Endpoint) + "/"
}

// base renders u with port (when non-zero) replacing its own port.
func base(u *url.URL, port int) string {
	if u == nil {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	p := u.Port()
	if port != 0 {
		p = strconv.Itoa(port)
	}
	if (scheme == "http" && p == "80") || (scheme == "https" && p == "443") {
		p = ""
	}
	host := hostOnly(u)
	if p != "" {
		host = net.JoinHostPort(strings.Trim(host, "[]"), p)
	}
	path := u.EscapedPath()
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	return scheme + "://" + host + path
}

// hostOnly returns u's host without port, lower-cased, with brackets kept
// around an IPv6 literal.
func hostOnly(u *url.URL) string {
	h := strings.ToLower(u.Hostname())
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}
