package token

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultLeeway is the clock-skew tolerance of a [Verifier]: five minutes,
// the ASP.NET JwtBearer default. A token is accepted until exp plus the
// leeway and from nbf minus the leeway.
const DefaultLeeway = 5 * time.Minute

// VerifierConfig configures a [Verifier].
type VerifierConfig struct {
	// Keys are the AccessKeys (primary, secondary, ...); a signature made with
	// any of them is accepted and the header's kid is ignored (the SDK's kid
	// is a per-process hash). At least one non-empty key is required.
	Keys []string
	// Algorithms lists the accepted alg values, among HS256, HS384 and HS512;
	// empty means HS256 and HS512.
	Algorithms []string
	// Leeway is the tolerance applied to exp and nbf; zero means
	// DefaultLeeway (5m) and a negative value means none.
	Leeway time.Duration
	// Now returns the current time; nil means time.Now. Set it in tests.
	Now func() time.Time
}

// Verifier checks client and REST access tokens. It is safe for concurrent
// use.
type Verifier struct {
	keys      jwt.VerificationKeySet
	algs      []string
	parser    *jwt.Parser
	validator *jwt.Validator // the parser's time checks, for tokens in seen
	seen      verifiedCache
	fast      fastPath
}

// NewVerifier returns a Verifier for cfg. It fails when there is no key, a
// key is empty or an algorithm is not an HMAC one.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if len(cfg.Keys) == 0 {
		return nil, errors.New("token: verifier: no keys")
	}
	v := &Verifier{algs: cfg.Algorithms}
	for i, k := range cfg.Keys {
		if k == "" {
			return nil, fmt.Errorf("token: verifier: key %d is empty", i)
		}
		v.keys.Keys = append(v.keys.Keys, []byte(k))
	}
	if len(v.algs) == 0 {
		v.algs = []string{"HS256", "HS512"}
	}
	for _, a := range v.algs {
		if a != "HS256" && a != "HS384" && a != "HS512" {
			return nil, fmt.Errorf("token: verifier: unsupported algorithm %q (want HS256, HS384 or HS512)", a)
		}
	}
	v.algs = append([]string(nil), v.algs...)
	opts := timeOptions(cfg.Leeway, DefaultLeeway, cfg.Now, jwt.WithValidMethods(v.algs), jwt.WithExpirationRequired())
	v.parser = jwt.NewParser(opts...)
	v.validator = jwt.NewValidator(opts...)
	raw := make([][]byte, len(cfg.Keys))
	for i, k := range cfg.Keys {
		raw[i] = []byte(k)
	}
	v.fast = newFastPath(v.algs, raw, v.validator)
	return v, nil
}

// Verify checks raw and returns its claims. In order it checks: presence
// (ErrMissing); length, before any parsing (ErrTooLong); shape
// (ErrMalformed); the header's alg against the configured algorithms
// (ErrAlgorithm: "none", RS256, HS256 where only HS512 is allowed, ...); the
// signature against every key (ErrSignature); exp, required as Azure
// requires it (ErrMissingClaim), and nbf when present, with the leeway
// (ErrExpired, ErrNotYetValid); and
// finally aud against the [Audience] rule (ErrAudience, with "expected ...,
// got ..." detail).
//
// A token in the header golang-jwt itself writes is checked first without
// the parser (fast_verify.go): the same checks, and any token that fails
// one goes through the parser for its error.
//
// A token verified before (the same bytes) skips the checks that depend on
// its bytes alone, up to the signature; exp, nbf and aud are checked again,
// with the same errors. Its claims are then the map returned before, shared
// between callers: the returned Claims must not be modified.
func (v *Verifier) Verify(raw string, aud Audience) (Claims, error) {
	claims := v.seen.get(raw)
	if claims != nil {
		if err := v.validator.Validate(claims); err != nil {
			// As golang-jwt's parser wraps its validator's errors.
			return nil, mapError(fmt.Errorf("%w: %w", jwt.ErrTokenInvalidClaims, err))
		}
	} else if claims = v.fast.verify(raw); claims != nil {
		v.seen.put(raw, claims)
	} else {
		var err error
		if claims, err = parse(v.parser, raw, v.algs, v.keys); err != nil {
			return nil, err
		}
		v.seen.put(raw, claims)
	}
	c := claims.claims()
	if err := aud.Match(c.Audience()); err != nil {
		return nil, err
	}
	return c, nil
}

// timeOptions returns the parser options shared by every verifier: leeway
// (zero means def, negative none), the clock, and extra.
func timeOptions(leeway, def time.Duration, now func() time.Time, extra ...jwt.ParserOption) []jwt.ParserOption {
	switch {
	case leeway == 0:
		leeway = def
	case leeway < 0:
		leeway = 0
	}
	opts := append([]jwt.ParserOption{jwt.WithLeeway(leeway)}, extra...)
	if now != nil {
		opts = append(opts, jwt.WithTimeFunc(now))
	}
	return opts
}
