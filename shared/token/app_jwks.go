package token

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// JWKS defaults.
const (
	// DefaultJWKSRefresh is how long a fetched key set is used before it is
	// fetched again: one hour.
	DefaultJWKSRefresh = time.Hour
	// JWKSMinRefetch is the least time between two fetches forced by a token
	// whose kid is unknown: 30 seconds.
	JWKSMinRefetch = 30 * time.Second
	// DefaultJWKSTimeout is the timeout of the default HTTP client: 10s.
	DefaultJWKSTimeout = 10 * time.Second
	// maxJWKSBytes bounds the key set document.
	maxJWKSBytes = 1 << 20
)

// JWKSAppConfig configures [NewJWKSAppVerifier].
type JWKSAppConfig struct {
	// URL is the JSON Web Key Set endpoint of the identity provider
	// (for example https://login.example/.well-known/jwks.json). Required,
	// http or https.
	URL string
	// Client fetches the key set; nil means a client with a 10s timeout
	// (DefaultJWKSTimeout).
	Client *http.Client
	// Refresh is how long a fetched key set is trusted; zero or negative
	// means DefaultJWKSRefresh (1h). A token with an unknown kid also
	// triggers a fetch, at most once per JWKSMinRefetch (30s).
	Refresh time.Duration
	// Algorithms lists the accepted alg values among RS256, RS384, RS512,
	// ES256, ES384 and ES512; empty means RS256 and ES256.
	Algorithms []string
	// Leeway is the tolerance applied to exp and nbf; zero means
	// DefaultAppLeeway (1m) and a negative value means none.
	Leeway time.Duration
	// Issuer, when non-empty, must equal the token's iss.
	Issuer string
	// Audience, when non-empty, must be one of the token's aud values.
	Audience string
	// Now returns the current time, also used to age the cached key set; nil
	// means time.Now. Set it in tests.
	Now func() time.Time
}

// jwksApp is the AppVerifier of NewJWKSAppVerifier: keyfunc chooses the
// keys (by kid, by the JWK's alg, all of them for a token without kid) from
// a jwksStore that fetches the key set.
type jwksApp struct {
	algs   []string
	iss    string
	aud    string
	parser *jwt.Parser
	keys   keyfunc.Keyfunc
}

var _ AppVerifier = (*jwksApp)(nil)

// NewJWKSAppVerifier returns an AppVerifier for tokens signed by an identity
// provider publishing a JSON Web Key Set (RSA keys for RS256/384/512, EC
// P-256/384/521 keys for ES256/384/512). App tokens must carry exp.
//
// The key set is fetched lazily, with the ctx of the first VerifyApp call,
// and cached for Refresh. The key is chosen by the token's kid; a token
// without kid is tried against every key fitting its alg. An unknown kid
// forces a fetch (key rotation), at most once per JWKSMinRefetch. When a
// refresh fails the cached keys stay in use. No goroutine is started and no
// lock is held across a fetch: fetches happen inside VerifyApp, one at a
// time, and the calls that need no new keys do not wait for them.
func NewJWKSAppVerifier(cfg JWKSAppConfig) (AppVerifier, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, errors.New("token: jwks app verifier: URL must be an absolute http or https URL")
	}
	algs := cfg.Algorithms
	if len(algs) == 0 {
		algs = []string{"RS256", "ES256"}
	}
	for _, a := range algs {
		switch a {
		case "RS256", "RS384", "RS512", "ES256", "ES384", "ES512":
		default:
			return nil, fmt.Errorf("token: jwks app verifier: unsupported algorithm %q", a)
		}
	}
	algs = append([]string(nil), algs...)
	store := &jwksStore{
		MemoryJWKSet: jwkset.NewMemoryStorage(),
		url:          cfg.URL,
		client:       cfg.Client,
		refresh:      cfg.Refresh,
		now:          cfg.Now,
	}
	if store.client == nil {
		store.client = &http.Client{Timeout: DefaultJWKSTimeout}
	}
	if store.refresh <= 0 {
		store.refresh = DefaultJWKSRefresh
	}
	if store.now == nil {
		store.now = time.Now
	}
	kf, err := keyfunc.New(keyfunc.Options{Storage: store})
	if err != nil {
		return nil, fmt.Errorf("token: jwks app verifier: %w", err)
	}
	return &jwksApp{
		algs:   algs,
		iss:    cfg.Issuer,
		aud:    cfg.Audience,
		parser: jwt.NewParser(appOptions(algs, cfg.Leeway, cfg.Now)...),
		keys:   kf,
	}, nil
}

// VerifyApp implements AppVerifier.
func (v *jwksApp) VerifyApp(ctx context.Context, raw string) (Claims, error) {
	h, err := precheck(raw, v.algs)
	if err != nil {
		return nil, err
	}
	candidates, err := v.candidates(ctx, h)
	if err != nil {
		return nil, err
	}
	var claims parsedClaims
	if _, err := v.parser.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) {
		return candidates, nil
	}); err != nil {
		return nil, mapError(err)
	}
	c := claims.claims()
	if err := checkApp(c, v.iss, v.aud); err != nil {
		return nil, err
	}
	return c, nil
}

// candidates returns the keys that may have signed a token with header h:
// keyfunc's choice, less the keys that cannot verify h.Alg.
func (v *jwksApp) candidates(ctx context.Context, h header) (jwt.VerificationKeySet, error) {
	hdr := map[string]any{"alg": h.Alg}
	if h.Kid != "" {
		hdr["kid"] = h.Kid
	}
	var set jwt.VerificationKeySet
	got, err := v.keys.KeyfuncCtx(ctx)(&jwt.Token{Header: hdr})
	if errors.Is(err, ErrKeySource) {
		return set, err
	}
	switch got := got.(type) {
	case jwt.VerificationKeySet:
		for _, k := range got.Keys {
			if fits(k, h.Alg) {
				set.Keys = append(set.Keys, k)
			}
		}
	case nil:
	default:
		if fits(got, h.Alg) {
			set.Keys = append(set.Keys, got)
		}
	}
	if len(set.Keys) == 0 {
		if h.Kid != "" {
			return set, fmt.Errorf("%w: no %s key with kid %q", ErrSignature, h.Alg, clip(h.Kid))
		}
		return set, fmt.Errorf("%w: no %s key", ErrSignature, h.Alg)
	}
	return set, nil
}
