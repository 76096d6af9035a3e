package token

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// HMACAppConfig configures [NewHMACAppVerifier].
type HMACAppConfig struct {
	// Secret is the shared HMAC secret, used as its UTF-8 bytes. Required.
	Secret string
	// Algorithms lists the accepted alg values among HS256, HS384 and HS512;
	// empty means HS256.
	Algorithms []string
	// Leeway is the tolerance applied to exp and nbf; zero means
	// DefaultAppLeeway (1m) and a negative value means none.
	Leeway time.Duration
	// Issuer, when non-empty, must equal the token's iss.
	Issuer string
	// Audience, when non-empty, must be one of the token's aud values.
	Audience string
	// Now returns the current time; nil means time.Now. Set it in tests.
	Now func() time.Time
}

// hmacApp is the AppVerifier of NewHMACAppVerifier.
type hmacApp struct {
	secret   []byte
	algs     []string
	iss, aud string
	parser   *jwt.Parser
	fast     fastPath
}

var _ AppVerifier = (*hmacApp)(nil)

// NewHMACAppVerifier returns an AppVerifier for tokens signed with a shared
// secret. Unlike service tokens, app tokens must carry exp (ErrMissingClaim
// otherwise). It fails when Secret is empty or an algorithm is not HMAC.
func NewHMACAppVerifier(cfg HMACAppConfig) (AppVerifier, error) {
	if cfg.Secret == "" {
		return nil, errors.New("token: hmac app verifier: empty secret")
	}
	algs := cfg.Algorithms
	if len(algs) == 0 {
		algs = []string{"HS256"}
	}
	for _, a := range algs {
		if a != "HS256" && a != "HS384" && a != "HS512" {
			return nil, fmt.Errorf("token: hmac app verifier: unsupported algorithm %q", a)
		}
	}
	algs = append([]string(nil), algs...)
	opts := appOptions(algs, cfg.Leeway, cfg.Now)
	secret := []byte(cfg.Secret)
	return &hmacApp{
		secret: secret,
		algs:   algs,
		iss:    cfg.Issuer,
		aud:    cfg.Audience,
		parser: jwt.NewParser(opts...),
		fast:   newFastPath(algs, [][]byte{secret}, jwt.NewValidator(opts...)),
	}, nil
}

// VerifyApp implements AppVerifier.
func (h *hmacApp) VerifyApp(_ context.Context, raw string) (Claims, error) {
	claims := h.fast.verify(raw)
	if claims == nil {
		var err error
		if claims, err = parse(h.parser, raw, h.algs, h.secret); err != nil {
			return nil, err
		}
	}
	c := claims.claims()
	if err := checkApp(c, h.iss, h.aud); err != nil {
		return nil, err
	}
	return c, nil
}
