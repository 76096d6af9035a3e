package livetrace

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Audience is the aud claim of live trace tokens.
const Audience = "herald-livetrace"

// MaxTokenLifetime is the longest lifetime a live trace token may have.
const MaxTokenLifetime = 24 * time.Hour

// ErrToken wraps every reason a token is refused.
var ErrToken = errors.New("livetrace: invalid token")

// Token returns a live trace token signed with accessKey, valid for
// lifetime (at most MaxTokenLifetime) from now.
func Token(accessKey string, lifetime time.Duration, now time.Time) (string, error) {
	if accessKey == "" {
		return "", errors.New("livetrace: empty AccessKey")
	}
	if lifetime <= 0 || lifetime > MaxTokenLifetime {
		return "", fmt.Errorf("livetrace: token lifetime %v: use (0, %v]", lifetime, MaxTokenLifetime)
	}
	claims := jwt.MapClaims{"aud": Audience, "iat": now.Unix(), "exp": now.Add(lifetime).Unix()}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(accessKey))
}

// verify checks tok against every key: HS256, aud Audience, exp required
// and in the future, no longer-lived than MaxTokenLifetime.
func verify(tok string, keys []string, now time.Time) error {
	if tok == "" {
		return fmt.Errorf("%w: missing (pass ?access_token=)", ErrToken)
	}
	var last error
	for _, k := range keys {
		claims := jwt.MapClaims{}
		_, err := jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return []byte(k), nil },
			jwt.WithValidMethods([]string{"HS256"}), jwt.WithAudience(Audience), jwt.WithExpirationRequired(),
			jwt.WithTimeFunc(func() time.Time { return now }), jwt.WithLeeway(30*time.Second))
		if err != nil {
			last = err
			continue
		}
		exp, err := claims.GetExpirationTime()
		if err != nil || exp == nil || exp.Sub(now) > MaxTokenLifetime+time.Minute {
			return fmt.Errorf("%w: exp must be within %v", ErrToken, MaxTokenLifetime)
		}
		return nil
	}
	return fmt.Errorf("%w: %w", ErrToken, last)
}
