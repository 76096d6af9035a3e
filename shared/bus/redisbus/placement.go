package redisbus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// errStaleSlots reports a ClusterClient whose slot map still names the
// old master of a channel's slot.
var errStaleSlots = errors.New("the client's slot map is stale (failover in progress)")

// checkPlacement makes sure a hub's new subscription connection on a
// Redis Cluster will go to a master. After a failover the ClusterClient
// reloads its slot map in the background: a connection made meanwhile
// lands on the old master, now a replica. Sharded messages still reach
// it (a shard propagates them to its replicas), but the master does not
// count it among the channel's subscribers, so the hub's sends would be
// refused as "not ready" (see ready.go) for as long as it lasts. It asks
// the node the client's map names (ROLE) and fails when that node is a
// replica, asking for a reload: the reader retries after its backoff.
func checkPlacement(ctx context.Context, cc *redis.ClusterClient, channel string) error {
	m, err := cc.MasterForKey(ctx, channel)
	if err != nil {
		return err
	}
	role, err := m.Do(ctx, "ROLE").Slice()
	if err != nil {
		return err
	}
	if len(role) > 0 {
		if r, _ := role[0].(string); !strings.EqualFold(r, "master") {
			cc.ReloadState(ctx)
			return fmt.Errorf("%w: %s is a %s", errStaleSlots, m.Options().Addr, r)
		}
	}
	return nil
}

// redisStalled reports whether Redis itself does not answer a PING on an
// ordinary connection within d (on a Redis Cluster, the master the
// client's map names for the subscriber's hub). The reader asks when its
// subscription connection left a PING unanswered: if Redis answers
// elsewhere, that connection is broken and must be replaced; if Redis
// does not answer at all (frozen, paused with CLIENT PAUSE, or out of
// reach), the connection is kept. Closing it would lose whatever Redis,
// once it runs again, still delivers on it, including messages it
// acknowledged to a publisher before noticing the close.
func (s *subscriber) redisStalled(ctx context.Context, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var c interface {
		Ping(context.Context) *redis.StatusCmd
	} = s.rdb
	if cc, ok := s.rdb.(*redis.ClusterClient); ok && s.pin != "" {
		m, err := cc.MasterForKey(ctx, s.pin)
		if err != nil {
			return true
		}
		cc.ReloadState(ctx) // a failover may be why the master is silent
		c = m
	}
	return c.Ping(ctx).Err() != nil
}
