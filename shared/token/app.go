package token

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultAppLeeway is the clock-skew tolerance of app verifiers: one minute.
const DefaultAppLeeway = time.Minute

// AppVerifier authenticates the caller of an application's negotiate
// endpoint from its bearer token and returns the token's claims, from which
// the application picks the user id.
type AppVerifier interface {
	// VerifyApp checks raw and returns its claims, or an error wrapping one of
	// this package's sentinels. ctx bounds any key fetching.
	VerifyApp(ctx context.Context, raw string) (Claims, error)
}

// appOptions returns the parser options of app verifiers: exp required,
// leeway, clock and allowed algorithms.
func appOptions(algs []string, leeway time.Duration, now func() time.Time) []jwt.ParserOption {
	return timeOptions(leeway, DefaultAppLeeway, now, jwt.WithValidMethods(algs), jwt.WithExpirationRequired())
}

// checkApp checks iss and aud of verified app claims when iss and aud are set.
func checkApp(c Claims, iss, aud string) error {
	if iss != "" && c.String("iss") != iss {
		return fmt.Errorf("%w: expected %q, got %q", ErrIssuer, iss, clip(c.String("iss")))
	}
	if aud != "" && !slices.Contains(c.Audience(), aud) {
		return fmt.Errorf("%w: expected %q, got %q", ErrAudience, aud, c.Audience())
	}
	return nil
}
