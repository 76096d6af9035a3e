package livetrace

import (
	"errors"
	"fmt"
	"time"

	"github.com/heraldrt/herald/shared/token"
)

// Audience is the aud claim of live trace tokens.
const Audience = "herald-livetrace"

// MaxTokenLifetime is the longest lifetime a live trace token may have.
const MaxTokenLifetime = 24 * time.Hour

// tokenLeeway is the clock skew tolerated on a live trace token's exp and
// nbf: the tokens are short-lived and made on an operator's machine.
const tokenLeeway = 30 * time.Second

// ErrToken wraps every reason a token is refused.
var ErrToken = errors.New("livetrace: invalid token")

// Token returns a live trace token signed with accessKey (HS256), valid
// for lifetime (at most MaxTokenLifetime) from now.
func Token(accessKey string, lifetime time.Duration, now time.Time) (string, error) {
	if accessKey == "" {
		return "", errors.New("livetrace: empty AccessKey")
	}
	if lifetime <= 0 || lifetime > MaxTokenLifetime {
		return "", fmt.Errorf("livetrace: token lifetime %v: use (0, %v]", lifetime, MaxTokenLifetime)
	}
	iss, err := token.NewIssuer(token.IssuerConfig{Key: accessKey, Algorithm: "HS256", Now: func() time.Time { return now }})
	if err != nil {
		return "", fmt.Errorf("livetrace: %w", err)
	}
	return iss.Issue(Audience, nil, lifetime)
}

// newVerifier returns the verifier of live trace tokens: the shared token
// verifier over keys, HS256 only, with tokenLeeway.
func newVerifier(keys []string, now func() time.Time) (*token.Verifier, error) {
	v, err := token.NewVerifier(token.VerifierConfig{Keys: keys, Algorithms: []string{"HS256"}, Leeway: tokenLeeway, Now: now})
	if err != nil {
		return nil, fmt.Errorf("livetrace: %w", err)
	}
	return v, nil
}

// verify checks tok with v: signed with one of the keys, aud Audience,
// exp required and in the future, no longer-lived than MaxTokenLifetime.
func verify(v *token.Verifier, tok string, now time.Time) error {
	if tok == "" {
		return fmt.Errorf("%w: missing (pass ?access_token=)", ErrToken)
	}
	claims, err := v.Verify(tok, token.Audience{Exact: Audience})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrToken, err)
	}
	if exp, ok := claims.Expiry(); !ok || exp.Sub(now) > MaxTokenLifetime+time.Minute {
		return fmt.Errorf("%w: exp must be within %v", ErrToken, MaxTokenLifetime)
	}
	return nil
}
