package bus

import (
	"context"
	"fmt"
	"time"
)

// memoryQuota holds Memory's quota counts; guarded by Memory.mu.
type memoryQuota struct {
	total  int
	users  map[hubUser]int // connections per user per hub
	second int64           // the unix second negotiates is counted in
	taken  int             // negotiates taken in second
}

type hubUser struct{ hub, user string }

// AcquireConnection counts a connection of user in hub unless that would
// pass lim (see Quotas).
func (m *Memory) AcquireConnection(ctx context.Context, hub, user string, lim ConnLimits) error {
	if err := CheckNames("hub", hub); err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	if err := m.lock(ctx); err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	defer m.mu.Unlock()
	q := &m.quota
	if err := q.checkLocked(hub, user, lim); err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	q.total++
	if user != "" {
		if q.users == nil {
			q.users = map[hubUser]int{}
		}
		q.users[hubUser{hub, user}]++
	}
	return nil
}

// ReleaseConnection undoes one AcquireConnection.
func (m *Memory) ReleaseConnection(ctx context.Context, hub, user string) error {
	if err := m.lock(ctx); err != nil {
		return fmt.Errorf("release connection: %w", err)
	}
	defer m.mu.Unlock()
	q := &m.quota
	if q.total > 0 {
		q.total--
	}
	if user != "" {
		k := hubUser{hub, user}
		if q.users[k] <= 1 {
			delete(q.users, k)
		} else {
			q.users[k]--
		}
	}
	return nil
}

// CheckConnection reports whether AcquireConnection would fail now.
func (m *Memory) CheckConnection(ctx context.Context, hub, user string, lim ConnLimits) error {
	if err := m.lock(ctx); err != nil {
		return fmt.Errorf("check connection quota: %w", err)
	}
	defer m.mu.Unlock()
	if err := m.quota.checkLocked(hub, user, lim); err != nil {
		return fmt.Errorf("check connection quota: %w", err)
	}
	return nil
}

func (q *memoryQuota) checkLocked(hub, user string, lim ConnLimits) error {
	if lim.Max > 0 && q.total >= lim.Max {
		return fmt.Errorf("%w: %d connections, limit %d", ErrLimitReached, q.total, lim.Max)
	}
	if n := q.users[hubUser{hub, user}]; user != "" && lim.PerUser > 0 && n >= lim.PerUser {
		return fmt.Errorf("%w: user has %d connections in the hub, limit %d", ErrLimitReached, n, lim.PerUser)
	}
	return nil
}

// TakeNegotiate counts a negotiate against perSecond per clock second.
func (m *Memory) TakeNegotiate(ctx context.Context, perSecond int) (time.Duration, error) {
	if err := m.lock(ctx); err != nil {
		return 0, fmt.Errorf("take negotiate: %w", err)
	}
	defer m.mu.Unlock()
	now := m.now()
	q := &m.quota
	if sec := now.Unix(); sec != q.second {
		q.second, q.taken = sec, 0
	}
	if perSecond > 0 && q.taken >= perSecond {
		next := time.Unix(q.second+1, 0)
		return next.Sub(now), fmt.Errorf("take negotiate: %w: %d negotiates this second, limit %d", ErrLimitReached, q.taken, perSecond)
	}
	q.taken++
	return 0, nil
}
