package redisbus

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// The deployment's diagnostics switches (docs/diagnostics.md "Switching
// logs on at runtime"): one string key holding their JSON, written by an
// admin and read by every node every few seconds. No key: every node runs
// with the switches of its environment.

func (k keys) diagSwitches() string { return k.prefix + ":{diag}:switches" }

// MaxDiagSwitchesBytes bounds the deployment switches value: a larger one
// is refused when written and ignored when read.
const MaxDiagSwitchesBytes = 4096

// DiagSwitches returns the deployment's switches as stored (JSON), and
// false when none is set.
func (b *Bus) DiagSwitches(ctx context.Context) ([]byte, bool, error) {
	v, err := b.rdb.Get(ctx, b.keys.diagSwitches()).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("redisbus: read diagnostics switches: %w", err)
	case len(v) > MaxDiagSwitchesBytes:
		return nil, false, fmt.Errorf("redisbus: diagnostics switches: %d bytes, over %d", len(v), MaxDiagSwitchesBytes)
	}
	return v, true, nil
}

// SetDiagSwitches stores the deployment's switches (JSON); nil deletes
// them, so every node returns to the switches of its environment.
func (b *Bus) SetDiagSwitches(ctx context.Context, value []byte) error {
	var err error
	switch {
	case value == nil:
		err = b.rdb.Del(ctx, b.keys.diagSwitches()).Err()
	case len(value) > MaxDiagSwitchesBytes:
		return fmt.Errorf("redisbus: diagnostics switches: %d bytes, over %d", len(value), MaxDiagSwitchesBytes)
	default:
		err = b.rdb.Set(ctx, b.keys.diagSwitches(), value, 0).Err()
	}
	if err != nil {
		return fmt.Errorf("redisbus: write diagnostics switches: %w", err)
	}
	return nil
}
