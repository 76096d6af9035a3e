package conninfo

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"strings"
	"time"

	"github.com/heraldrt/herald/shared/connstr"
	"github.com/heraldrt/herald/shared/token"
)

// ErrInvalidClientBase is wrapped by errors for a Request.ClientBase that is
// not an absolute http or https URL.
var ErrInvalidClientBase = errors.New("conninfo: invalid client base")

// Info is what a negotiate endpoint returns to redirect a SignalR client to
// the service: the JSON {"url": ..., "accessToken": ...}.
type Info struct {
	// URL is where the client negotiates next, e.g.
	// "http://localhost:8888/client/?hub=chat".
	URL string `json:"url"`
	// AccessToken is the client access token the client sends to URL.
	AccessToken string `json:"accessToken"`
}

// Config configures a [Binding].
type Config struct {
	// ConnectionString gives the client base, the audience base and the
	// AccessKey that signs tokens. Required, with an AccessKey.
	ConnectionString connstr.ConnectionString
	// Lifetime is the default token lifetime; zero or negative means one hour.
	Lifetime time.Duration
	// Algorithm is "HS256" or "HS512"; "" means HS256.
	Algorithm string
	// Now returns the current time; nil means time.Now. Set it in tests.
	Now func() time.Time
}

// Binding builds connection info for clients. It is safe for concurrent use.
type Binding struct {
	clientBase   string
	audienceBase string
	issuer       *token.Issuer
}

// New returns a Binding for cfg. It fails when the connection string has no
// Endpoint or no AccessKey (Entra ID connection strings cannot sign tokens)
// or Algorithm is unsupported.
func New(cfg Config) (*Binding, error) {
	cs := cfg.ConnectionString
	if cs.Endpoint == nil {
		return nil, errors.New("conninfo: connection string has no Endpoint")
	}
	if cs.AccessKey == "" {
		return nil, errors.New("conninfo: connection string has no AccessKey")
	}
	lifetime := cfg.Lifetime
	if lifetime <= 0 {
		lifetime = token.DefaultLifetime
	}
	iss, err := token.NewIssuer(token.IssuerConfig{Key: cs.AccessKey, Algorithm: cfg.Algorithm, Lifetime: lifetime, Now: cfg.Now})
	if err != nil {
		return nil, fmt.Errorf("conninfo: %w", err)
	}
	return &Binding{clientBase: cs.ClientBase(), audienceBase: cs.AudienceBase(), issuer: iss}, nil
}

// Request describes the client to build connection info for.
type Request struct {
	// Hub is the hub name, matched case-insensitively. Required.
	Hub string
	// Application is the optional application name; with it the hub key is
	// lower(Application) + "_" + lower(Hub).
	Application string
	// UserID, when non-empty, becomes the asrs.s.uid claim (it replaces one
	// given in Claims).
	UserID string
	// Claims are extra claims copied into the token; names the issuer
	// reserves (aud, exp, iat, nbf, iss, jti, ...) become "asrs.u.<name>".
	Claims map[string]any
	// Diagnostic marks the client as a diagnostic client (the asrs.s.dc
	// claim): the messaging logs' diagnostic mode records its messages,
	// and a gateway node holds at most 100 such connections at once.
	Diagnostic bool
	// Lifetime is the token lifetime; zero means the Config's Lifetime.
	Lifetime time.Duration
	// ClientBase overrides the base of the client URL, e.g. one derived from
	// the incoming request's host. It must be an absolute http or https URL
	// without query or fragment; a missing final "/" is added. "" means the
	// connection string's ClientBase.
	ClientBase string
}

// ConnectionInfo returns the URL and access token for req. The URL is the
// client base + "client/?hub=" + hub key; the token's audience is the
// connection string's AudienceBase + "client/?hub=" + hub key, as the Azure
// SDK builds them. An invalid hub or application name gives an error
// wrapping ErrInvalidHub; a token longer than token.MaxLength (too many
// claims) an error wrapping token.ErrTooLong that states the size.
func (b *Binding) ConnectionInfo(req Request) (Info, error) {
	if !ValidHubName(req.Hub) {
		return Info{}, fmt.Errorf("%w: hub %q", ErrInvalidHub, clip(req.Hub))
	}
	if req.Application != "" && !ValidHubName(req.Application) {
		return Info{}, fmt.Errorf("%w: application %q", ErrInvalidHub, clip(req.Application))
	}
	base := b.clientBase
	if req.ClientBase != "" {
		u, err := url.Parse(req.ClientBase)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.RawQuery != "" || u.Fragment != "" {
			return Info{}, fmt.Errorf("%w: %q", ErrInvalidClientBase, clip(req.ClientBase))
		}
		base = req.ClientBase
		if !strings.HasSuffix(base, "/") {
			base += "/"
		}
	}

	path := "client/?hub=" + HubKey(req.Application, req.Hub)
	claims := make(map[string]any, len(req.Claims)+1)
	maps.Copy(claims, req.Claims)
	if req.UserID != "" {
		claims[token.ClaimUserID] = req.UserID
	}
	if req.Diagnostic {
		claims[token.ClaimDiagnostic] = "true"
	}
	tok, err := b.issuer.Issue(b.audienceBase+path, claims, req.Lifetime)
	if err != nil {
		return Info{}, fmt.Errorf("conninfo: access token: %w", err)
	}
	return Info{URL: base + path, AccessToken: tok}, nil
}

// clip bounds caller text quoted in errors.
func clip(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
