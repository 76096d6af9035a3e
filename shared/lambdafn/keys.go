package lambdafn

import (
	"context"
	"errors"
	"fmt"

	"github.com/heraldrt/herald/shared/awsparams"
	"github.com/heraldrt/herald/shared/config"
)

// ErrNoKeys is wrapped when the configured key source holds no key.
var ErrNoKeys = errors.New("lambdafn: no AccessKey")

// Keys returns the AccessKeys cfg names: HERALD_ACCESS_KEYS (or the
// connection string's) as they are, else the comma-separated value of the
// secret or parameter, read through the Parameters and Secrets extension.
func Keys(ctx context.Context, cfg config.Functions) ([]string, error) {
	if len(cfg.AccessKeys) > 0 {
		return cfg.AccessKeys, nil
	}
	c, err := awsparams.New(awsparams.Config{Port: cfg.ExtensionPort, SessionToken: cfg.SessionToken})
	if err != nil {
		return nil, err
	}
	var raw, from string
	switch {
	case cfg.AccessKeysSecret != "":
		from = "HERALD_ACCESS_KEYS_SECRET " + cfg.AccessKeysSecret
		raw, err = c.Secret(ctx, cfg.AccessKeysSecret)
	case cfg.AccessKeysParameter != "":
		from = "HERALD_ACCESS_KEYS_PARAMETER " + cfg.AccessKeysParameter
		raw, err = c.Parameter(ctx, cfg.AccessKeysParameter)
	default:
		return nil, fmt.Errorf("%w: set HERALD_ACCESS_KEYS, HERALD_ACCESS_KEYS_SECRET or HERALD_ACCESS_KEYS_PARAMETER", ErrNoKeys)
	}
	if err != nil {
		return nil, err
	}
	keys := config.SplitList(raw)
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: %s is empty", ErrNoKeys, from)
	}
	return keys, nil
}
