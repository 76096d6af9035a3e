package redisbus

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"

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
		c.AddHook(sentOnce{node: o.Addr})
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
// so redirections and reconnections still happen.
//
// Pipelines are left alone but for the batcher's (their context carries a
// *pipeAttempts under sendOnceKey), which carry scripts and claims. The
// ClusterClient sends a node's whole share of a pipeline again when one
// of its commands failed, with a TRYAGAIN as much as a timeout, though
// the others ran; so the hook lets each node's share go once. A second
// attempt on the same node is refused: every command of it fails as one
// that may have run, which its caller handles as it would a lost
// connection. A redirection to another node (MOVED, ASK: those commands
// did not run) is that node's first attempt and goes, unless a command
// of it already failed in a way after which it may have run (a timeout
// on the node it left).
type sentOnce struct {
	node string // the address of the node whose client this hook is on
}

// sendOnceKey marks the context of a pipeline whose commands must not be
// sent again (see sentOnce); its value is the pipeline's *pipeAttempts.
type sendOnceKey struct{}

// pipeAttempts records the nodes a batcher pipeline was sent to. cmds are
// its commands: the context also reaches the pipeline go-redis runs to
// set up a new connection (HELLO, CLIENT SETNAME), which is not the
// batcher's and goes whatever happened before.
type pipeAttempts struct {
	cmds  map[redis.Cmder]bool
	mu    sync.Mutex
	nodes map[string]bool
}

// newPipeAttempts returns the record of a batcher pipeline of calls.
func newPipeAttempts(calls []*pipeCall) *pipeAttempts {
	a := &pipeAttempts{cmds: make(map[redis.Cmder]bool, len(calls))}
	for _, c := range calls {
		a.cmds[c.cmd] = true
	}
	return a
}

// ours reports whether cmds are (a node's share of) the pipeline's.
func (a *pipeAttempts) ours(cmds []redis.Cmder) bool { return len(cmds) > 0 && a.cmds[cmds[0]] }

// first reports whether this is the pipeline's first attempt on node, and
// records it.
func (a *pipeAttempts) first(node string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.nodes[node] {
		return false
	}
	if a.nodes == nil {
		a.nodes = map[string]bool{}
	}
	a.nodes[node] = true
	return true
}

// errResendRefused fails the commands of a batcher pipeline's second
// attempt on a node.
var errResendRefused = errors.New("a batched pipeline is not sent to a node twice")

func (sentOnce) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h sentOnce) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		a, ok := ctx.Value(sendOnceKey{}).(*pipeAttempts)
		if !ok || !a.ours(cmds) {
			return next(ctx, cmds)
		}
		for _, cmd := range cmds {
			if err := cmd.Err(); err != nil && mayHaveRun(err) {
				return err // sent before: its commands keep their errors
			}
		}
		if !a.first(h.node) {
			err := &connError{err: errResendRefused}
			for _, cmd := range cmds {
				cmd.SetErr(err)
			}
			return err
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
