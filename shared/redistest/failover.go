package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/heraldrt/herald/shared/testsupport"
)

// replicaLine finds the first online replica in INFO replication.
var replicaLine = regexp.MustCompile(`slave0:ip=([^,]+),port=(\d+),state=online`)

// FailOver promotes the replica of the master that holds key's slot (a
// cluster of StartReplicatedCluster) with CLUSTER FAILOVER, as a
// maintenance or an ElastiCache failover test does, once the replica is in
// sync; it returns when the replica answers ROLE as a master, or an error
// after timeout.
func (c *Cluster) FailOver(ctx context.Context, key string, timeout time.Duration) error {
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	defer cc.Close()
	master, err := cc.MasterForKey(ctx, key)
	if err != nil {
		return fmt.Errorf("redistest: master of %q: %w", key, err)
	}
	var replica string
	if err := testsupport.Poll(timeout, func() error {
		if _, err := master.Wait(ctx, 1, time.Second).Result(); err != nil {
			return err
		}
		m := replicaLine.FindStringSubmatch(master.Info(ctx, "replication").Val())
		if m == nil {
			return errors.New("no online replica")
		}
		replica = net.JoinHostPort(m[1], m[2])
		return nil
	}); err != nil {
		return fmt.Errorf("redistest: replica in sync: %w", err)
	}
	rep := redis.NewClient(&redis.Options{Addr: replica})
	defer rep.Close()
	if err := rep.Do(ctx, "CLUSTER", "FAILOVER").Err(); err != nil {
		return fmt.Errorf("redistest: CLUSTER FAILOVER: %w", err)
	}
	return testsupport.Poll(timeout, func() error {
		if role := fmt.Sprint(rep.Do(ctx, "ROLE").Val()); !strings.HasPrefix(role, "[master") {
			return fmt.Errorf("replica %s has role %s", replica, role)
		}
		return nil
	})
}
