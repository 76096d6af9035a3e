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

// SwitchesStore reads and writes the deployment's diagnostics switches
// key without the rest of a Bus: for tools that only flip the switches
// (herald diag). A Bus has the same methods.
type SwitchesStore struct {
	rdb redis.UniversalClient
	key string
}

// NewSwitchesStore returns the switches store of the deployment whose
// keys start with prefix (DefaultKeyPrefix when ""), on rdb, which the
// caller closes.
func NewSwitchesStore(rdb redis.UniversalClient, prefix string) (*SwitchesStore, error) {
	if prefix == "" {
		prefix = DefaultKeyPrefix
	}
	if err := checkName("key prefix", prefix); err != nil {
		return nil, err
	}
	return &SwitchesStore{rdb: rdb, key: keys{prefix: prefix}.diagSwitches()}, nil
}

// Key is the Redis key holding the switches.
func (s *SwitchesStore) Key() string { return s.key }

// DiagSwitches returns the deployment's switches as stored (JSON), and
// false when none is set.
func (s *SwitchesStore) DiagSwitches(ctx context.Context) ([]byte, bool, error) {
	v, err := s.rdb.Get(ctx, s.key).Bytes()
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
func (s *SwitchesStore) SetDiagSwitches(ctx context.Context, value []byte) error {
	var err error
	switch {
	case value == nil:
		err = s.rdb.Del(ctx, s.key).Err()
	case len(value) > MaxDiagSwitchesBytes:
		return fmt.Errorf("redisbus: diagnostics switches: %d bytes, over %d", len(value), MaxDiagSwitchesBytes)
	default:
		err = s.rdb.Set(ctx, s.key, value, 0).Err()
	}
	if err != nil {
		return fmt.Errorf("redisbus: write diagnostics switches: %w", err)
	}
	return nil
}

// switches is b's store of the deployment's switches.
func (b *Bus) switches() *SwitchesStore {
	return &SwitchesStore{rdb: b.rdb, key: b.keys.diagSwitches()}
}

// DiagSwitches returns the deployment's switches as stored (JSON), and
// false when none is set.
func (b *Bus) DiagSwitches(ctx context.Context) ([]byte, bool, error) {
	return b.switches().DiagSwitches(ctx)
}

// SetDiagSwitches stores the deployment's switches (JSON); nil deletes
// them, so every node returns to the switches of its environment.
func (b *Bus) SetDiagSwitches(ctx context.Context, value []byte) error {
	return b.switches().SetDiagSwitches(ctx, value)
}
