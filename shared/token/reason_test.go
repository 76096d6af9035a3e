package token_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/heraldrt/herald/shared/token"
)

func TestReason(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{token.ErrMissing, token.ReasonMissing},
		{fmt.Errorf("%w: 5000 characters", token.ErrTooLong), token.ReasonTooLong},
		{fmt.Errorf("%w (x)", token.ErrExpired), token.ReasonExpired},
		{token.ErrNotYetValid, token.ReasonNotYetValid},
		{token.ErrSignature, token.ReasonSignature},
		{token.ErrAudience, token.ReasonAudience},
		{token.ErrAlgorithm, token.ReasonAlgorithm},
		{token.ErrIssuer, token.ReasonIssuer},
		{token.ErrMissingClaim, token.ReasonNoExp},
		{token.ErrKeySource, token.ReasonKeySource},
		{token.ErrMalformed, token.ReasonMalformed},
		{errors.New("other"), token.ReasonMalformed},
	} {
		if got := token.Reason(c.err); got != c.want {
			t.Errorf("Reason(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
