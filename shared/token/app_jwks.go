package token

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

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

// jwksApp is the AppVerifier of NewJWKSAppVerifier.
type jwksApp struct {
	url     string
	client  *http.Client
	refresh time.Duration
	algs    []string
	iss     string
	aud     string
	now     func() time.Time
	parser  *jwt.Parser

	mu        sync.Mutex // guards the fields below; held while fetching
	keys      []publicKey
	fetched   time.Time // last successful fetch
	attempted time.Time // last fetch attempt
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
// refresh fails the cached keys stay in use. No goroutine is started:
// fetches happen inside VerifyApp, one at a time.
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
	v := &jwksApp{
		url:     cfg.URL,
		client:  cfg.Client,
		refresh: cfg.Refresh,
		algs:    algs,
		iss:     cfg.Issuer,
		aud:     cfg.Audience,
		now:     cfg.Now,
		parser:  jwt.NewParser(appOptions(algs, cfg.Leeway, cfg.Now)...),
	}
	if v.client == nil {
		v.client = &http.Client{Timeout: DefaultJWKSTimeout}
	}
	if v.refresh <= 0 {
		v.refresh = DefaultJWKSRefresh
	}
	if v.now == nil {
		v.now = time.Now
	}
	return v, nil
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
	claims := jwt.MapClaims{}
	if _, err := v.parser.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) {
		return candidates, nil
	}); err != nil {
		return nil, mapError(err)
	}
	if err := checkApp(Claims(claims), v.iss, v.aud); err != nil {
		return nil, err
	}
	return Claims(claims), nil
}

// candidates returns the keys that may have signed a token with header h,
// fetching the key set when it is missing, stale, or lacks h.Kid.
func (v *jwksApp) candidates(ctx context.Context, h header) (jwt.VerificationKeySet, error) {
	v.mu.Lock()
	defer v.mu.Unlock()

	now := v.now()
	switch {
	case v.keys == nil:
		if err := v.fetch(ctx, now); err != nil {
			return jwt.VerificationKeySet{}, err
		}
	case now.Sub(v.fetched) >= v.refresh && now.Sub(v.attempted) >= JWKSMinRefetch:
		_ = v.fetch(ctx, now) // on failure keep the stale keys
	}

	set := v.match(h)
	if len(set.Keys) == 0 && h.Kid != "" && now.Sub(v.attempted) >= JWKSMinRefetch {
		if err := v.fetch(ctx, now); err == nil {
			set = v.match(h)
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

// match selects the cached keys for h: by kid when the token has one, else
// every key fitting the alg.
func (v *jwksApp) match(h header) jwt.VerificationKeySet {
	var set jwt.VerificationKeySet
	for _, k := range v.keys {
		if (h.Kid == "" || k.kid == h.Kid) && k.fits(h.Alg) {
			set.Keys = append(set.Keys, k.key)
		}
	}
	return set
}

// fetch downloads and replaces the key set. v.mu must be held.
func (v *jwksApp) fetch(ctx context.Context, now time.Time) error {
	v.attempted = now
	keys, err := v.download(ctx)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrKeySource, err)
	}
	v.keys, v.fetched = keys, now
	return nil
}

func (v *jwksApp) download(ctx context.Context) ([]publicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %v", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch JWKS: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %v", err)
	}
	if len(body) > maxJWKSBytes {
		return nil, errors.New("fetch JWKS: document larger than 1 MiB")
	}
	return parseJWKS(body)
}
