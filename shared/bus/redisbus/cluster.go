package redisbus

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

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
	clientDefaults(&opt.DialTimeout, &opt.ReadTimeout, &opt.WriteTimeout, &opt.PoolTimeout,
		&opt.DialerRetries, &opt.MaxRetries, &opt.ContextTimeoutEnabled, &opt.Protocol)
	opt.NewClient = func(o *redis.Options) *redis.Client {
		c := redis.NewClient(o)
		c.AddHook(sentOnce{})
		return c
	}
	return redis.NewClusterClient(opt), nil
}

// sentOnce keeps a ClusterClient from sending a command again after the
// connection failed under it. The ClusterClient retries such failures
// (timeouts, a reset connection) up to MaxRedirects times whatever
// MaxRetries says, and the first attempt may have run: a script that
// publishes would deliver its message twice. This hook, on each node's
// client, hides those failures from the retry logic. Redis's own answers
// (MOVED, ASK, TRYAGAIN, CLUSTERDOWN: the command did not run), context
// errors, failed dials and pool timeouts (nothing was sent) pass through,
// so redirections and reconnections still happen. Pipelines are left
// alone but for the batcher's (their context carries sendOnceKey), which
// carry scripts and claims: the ClusterClient queues a node's commands for
// another attempt from inside the pipeline, so the hook refuses that
// attempt instead, when one of the commands already failed in a way after
// which it may have run.
type sentOnce struct{}

// sendOnceKey marks the context of a pipeline whose commands must not be
// sent again after a failure that may have run them (see sentOnce).
type sendOnceKey struct{}

func (sentOnce) DialHook(next redis.DialHook) redis.DialHook { return next }

func (sentOnce) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if ctx.Value(sendOnceKey{}) != nil {
			for _, cmd := range cmds {
				if err := cmd.Err(); err != nil && mayHaveRun(err) {
					return err // sent before: its commands keep their errors
				}
			}
		}
		return next(ctx, cmds)
	}
}

func (sentOnce) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if err == nil || !mayHaveRun(err) {
			return err
		}
		return &connError{err: err}
	}
}

// mayHaveRun reports whether err is a failure after which the command may
// have run on the server.
func mayHaveRun(err error) bool {
	var reply redis.Error
	var op *net.OpError
	switch {
	case errors.As(err, &reply):
		return false // Redis answered
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	case errors.Is(err, redis.ErrPoolTimeout), errors.Is(err, redis.ErrClosed):
		return false
	case errors.As(err, &op) && op.Op == "dial":
		return false
	}
	return true
}

// connError is a connection failure hidden from go-redis's retry logic:
// it does not unwrap (see sentOnce).
type connError struct{ err error }

func (e *connError) Error() string {
	return "redisbus: connection failed during the command: " + e.err.Error()
}
