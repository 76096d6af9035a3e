package connstr

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Property names, lower-cased; keys are matched case-insensitively.
const (
	keyEndpoint       = "endpoint"
	keyAccessKey      = "accesskey"
	keyVersion        = "version"
	keyPort           = "port"
	keyClientEndpoint = "clientendpoint"
	keyServerEndpoint = "serverendpoint"
	keyAuthType       = "authtype"
)

// versionPattern is the SDK's accepted Version: service major version 1.
var versionPattern = regexp.MustCompile(`^1\.\d+(?:[\w\-.]+)?$`)

// Parse parses an Azure SignalR connection string.
//
// Segments are separated by ';' and empty segments are ignored; a segment
// without '=' is skipped. Keys are case-insensitive and both keys and values
// are trimmed. A key given twice, or fewer than two segments, is an error.
// Endpoint is required and must be an absolute http or https URL (a trailing
// '/' is trimmed). AccessKey is required unless AuthType is set. Version, when
// present, must match ^1\.\d+(?:[\w-.]+)?$; Port, when present, must be an
// integer in 1..65535; ClientEndpoint and ServerEndpoint, when present, must
// be absolute http or https URLs. Unknown keys (ClientId, TenantId, ...) are
// ignored.
//
// Every error wraps [ErrMalformed] and names the offending key; no value is
// ever repeated in an error.
func Parse(s string) (ConnectionString, error) {
	props, err := split(s)
	if err != nil {
		return ConnectionString{}, err
	}

	var c ConnectionString
	raw, ok := props[keyEndpoint]
	if !ok {
		return ConnectionString{}, fmt.Errorf("%w: Endpoint is required", ErrMalformed)
	}
	if c.Endpoint, err = parseEndpoint("Endpoint", strings.TrimRight(raw, "/")); err != nil {
		return ConnectionString{}, err
	}

	c.AuthType = props[keyAuthType]
	c.AccessKey = props[keyAccessKey]
	if c.AccessKey == "" && c.AuthType == "" {
		return ConnectionString{}, fmt.Errorf("%w: AccessKey is required", ErrMalformed)
	}

	if v, ok := props[keyVersion]; ok {
		if !versionPattern.MatchString(v) {
			return ConnectionString{}, fmt.Errorf("%w: Version is not supported (want 1.x)", ErrMalformed)
		}
		c.Version = v
	}

	if v, ok := props[keyPort]; ok {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			return ConnectionString{}, fmt.Errorf("%w: Port must be an integer in 1..65535", ErrMalformed)
		}
		c.Port = p
	}

	if v, ok := props[keyClientEndpoint]; ok {
		if c.ClientEndpoint, err = parseEndpoint("ClientEndpoint", v); err != nil {
			return ConnectionString{}, err
		}
	}
	if v, ok := props[keyServerEndpoint]; ok {
		if c.ServerEndpoint, err = parseEndpoint("ServerEndpoint", v); err != nil {
			return ConnectionString{}, err
		}
	}
	return c, nil
}

// split turns s into a map of lower-cased key to trimmed value.
func split(s string) (map[string]string, error) {
	segments := 0
	props := make(map[string]string)
	for seg := range strings.SplitSeq(s, ";") {
		if strings.TrimSpace(seg) == "" {
			continue
		}
		segments++
		k, v, ok := strings.Cut(seg, "=")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		lk := strings.ToLower(k)
		if _, dup := props[lk]; dup {
			return nil, fmt.Errorf("%w: duplicate property %q", ErrMalformed, k)
		}
		props[lk] = strings.TrimSpace(v)
	}
	if segments < 2 {
		return nil, fmt.Errorf("%w: need at least Endpoint and AccessKey properties", ErrMalformed)
	}
	return props, nil
}

// parseEndpoint parses an absolute http or https URL with a host.
func parseEndpoint(key, v string) (*url.URL, error) {
	u, err := url.Parse(v)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Hostname() == "" || u.Opaque != "" {
		return nil, fmt.Errorf("%w: %s must be an absolute http or https URL", ErrMalformed, key)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return nil, fmt.Errorf("%w: %s must use http or https", ErrMalformed, key)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%w: %s has an invalid port", ErrMalformed, key)
		}
	}
	u.Scheme = strings.ToLower(u.Scheme)
	return u, nil
}
