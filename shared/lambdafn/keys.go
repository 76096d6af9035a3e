package lambdafn

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/heraldrt/herald/shared/awsparams"
	"github.com/heraldrt/herald/shared/config"
)

// ErrNoKeys is wrapped when the configured key source holds no key.
var ErrNoKeys = errors.New("lambdafn: no AccessKey")

// Keys returns the AccessKeys cfg names: HERALD_ACCESS_KEYS (or the
// connection string's) as they are, else the comma-separated value of the
// secret or parameter, read with the AWS SDK.
func Keys(ctx context.Context, cfg config.Functions) ([]string, error) {
	if len(cfg.AccessKeys) > 0 {
		return cfg.AccessKeys, nil
	}
	c, err := awsparams.New(ctx, awsparams.Config{})
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

// RedisURL returns the Redis URL cfg names: REDIS_URL as it is, else the
// value of the secret HERALD_REDIS_URL_SECRET, read with the AWS SDK.
// Errors never quote the value (it holds the password).
func RedisURL(ctx context.Context, cfg config.Functions) (string, error) {
	if cfg.RedisURLSecret == "" {
		return cfg.RedisURL, nil
	}
	c, err := awsparams.New(ctx, awsparams.Config{})
	if err != nil {
		return "", err
	}
	raw, err := c.Secret(ctx, cfg.RedisURLSecret)
	if err != nil {
		return "", fmt.Errorf("HERALD_REDIS_URL_SECRET: %w", err)
	}
	u := strings.TrimSpace(raw)
	if u == "" {
		return "", fmt.Errorf("HERALD_REDIS_URL_SECRET %s is empty", cfg.RedisURLSecret)
	}
	return u, nil
}
