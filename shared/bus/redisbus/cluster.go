package redisbus

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster URL schemes accepted by NewClient.
const (
	schemeCluster    = "redis+cluster://"
	schemeClusterTLS = "rediss+cluster://"
)

// cutClusterScheme reports whether raw names a Redis Cluster and returns
// it with the plain scheme (redis:// or rediss://).
func cutClusterScheme(raw string) (string, bool) {
	switch {
	case strings.HasPrefix(raw, schemeCluster):
		return "redis://" + raw[len(schemeCluster):], true
	case strings.HasPrefix(raw, schemeClusterTLS):
		return "rediss://" + raw[len(schemeClusterTLS):], true
	}
	return raw, false
}

// newClusterClient returns a cluster client for raw, a redis:// or
// rediss:// URL whose host may list several comma-separated seeds.
func newClusterClient(raw string) (*redis.ClusterClient, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("redisbus: cluster URL: %w", err)
	}
	if db := strings.Trim(u.Path, "/"); db != "" && db != "0" {
		return nil, fmt.Errorf("redisbus: cluster URL: database %q: a Redis Cluster has database 0 only", db)
	}
	u.Path = ""
	seeds := strings.Split(u.Host, ",")
	for _, s := range seeds {
		if s == "" {
			return nil, fmt.Errorf("redisbus: cluster URL %q: empty seed address", u.Redacted())
		}
	}
	u.Host = seeds[0]
	if len(seeds) > 1 {
		q := u.Query()
		for _, s := range seeds[1:] {
			q.Add("addr", s)
		}
		u.RawQuery = q.Encode()
	}
	opt, err := redis.ParseClusterURL(u.String())
	if err != nil {
		return nil, fmt.Errorf("redisbus: cluster URL: %w", err)
	}
	setDefault(&opt.DialTimeout, 2*time.Second)
	setDefault(&opt.ReadTimeout, 2*time.Second)
	setDefault(&opt.WriteTimeout, 2*time.Second)
	setDefault(&opt.PoolTimeout, 3*time.Second)
	if opt.DialerRetries == 0 {
		opt.DialerRetries = 1
	}
	if opt.MaxRetries == 0 {
		opt.MaxRetries = -1
	}
	opt.ContextTimeoutEnabled = true
	return redis.NewClusterClient(opt), nil
}
