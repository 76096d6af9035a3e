package redisbus

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/heraldrt/herald/shared/bus"
)

// Defaults for the zero fields of Config.
const (
	// DefaultKeyPrefix starts every key and channel name.
	DefaultKeyPrefix = "herald"
	// DefaultHeartbeatInterval is how often a node records that it is
	// alive, looks for dead nodes and checks its subscription connection.
	DefaultHeartbeatInterval = 5 * time.Second
	// DefaultNodeTTL is how long a node counts as alive after its last
	// heartbeat. A dead node's connections leave presence and membership
	// within NodeTTL + HeartbeatInterval (20 s by default; the bound is 30 s,
	// docs/decisions.md#scale-out).
	DefaultNodeTTL = 15 * time.Second
	// DefaultSweepInterval is how often a node removes expired user-group
	// memberships: they are removed within about a second, like bus.Memory.
	DefaultSweepInterval = time.Second
)

// Config configures a Bus. Zero fields take the documented defaults.
type Config struct {
	// Client is the connection pool to Redis (≥ 7: sharded pub/sub).
	// Required. The Bus never closes it. NewClient makes one with timeouts
	// suited to the bus: a *redis.Client talks to one server (or one
	// primary), a *redis.ClusterClient to a Redis Cluster (see the package
	// documentation). Other kinds of redis.UniversalClient (a failover or
	// ring client) are not supported. A gateway node's client must speak
	// RESP2, as NewClient's do: on RESP3, go-redis can drop a message from
	// a subscription's backlog unseen (see subscriptionProtocol).
	Client redis.UniversalClient
	// KeyPrefix starts every key and channel name, so several deployments
	// (or tests) can share a Redis database. It must not contain braces.
	// Default: DefaultKeyPrefix.
	KeyPrefix string
	// NodeID names this node in logs and in Redis. Each Bus adds a random
	// suffix per incarnation, so restarted processes never share an id.
	// Default: random.
	NodeID string
	// Stateless makes a Bus for the stateless functions (negotiate, REST):
	// it starts no goroutine, does not count as a live node, and Register
	// and Subscribe fail with ErrStateless. Publishing, membership and
	// presence work. Default: false, a gateway node.
	Stateless bool
	// HeartbeatInterval is how often a gateway node records that it is
	// alive, reaps dead nodes and checks its subscription connection.
	// Default: DefaultHeartbeatInterval.
	HeartbeatInterval time.Duration
	// NodeTTL is how long a node counts as alive after a heartbeat; it must
	// exceed HeartbeatInterval. Default: DefaultNodeTTL.
	NodeTTL time.Duration
	// SweepInterval is how often a gateway node removes expired user-group
	// memberships. Default: DefaultSweepInterval.
	SweepInterval time.Duration
	// Logger receives records about connectivity, resynchronisation and
	// reaping. Default (nil): records are discarded.
	Logger *slog.Logger
	// GroupLimits bounds the groups of a connection and of a user; the
	// node that changes memberships (the functions) enforces them.
	// Default: bus.DefaultMaxConnectionGroups and bus.DefaultMaxUserGroups.
	GroupLimits bus.GroupLimits
}

// withDefaults returns a copy of c with defaults applied, or an error for
// a bad configuration.
func (c Config) withDefaults() (Config, error) {
	switch c.Client.(type) {
	case nil:
		return c, errors.New("redisbus: Config.Client is required")
	case *redis.Client, *redis.ClusterClient:
	default:
		return c, fmt.Errorf("redisbus: Config.Client: %T is not supported (use a *redis.Client or a *redis.ClusterClient)", c.Client)
	}
	if p := clientProtocol(c.Client); !c.Stateless && p != subscriptionProtocol {
		return c, fmt.Errorf("redisbus: Config.Client speaks RESP%d; a gateway node's client must speak RESP%d (NewClient makes one)", p, subscriptionProtocol)
	}
	if c.KeyPrefix == "" {
		c.KeyPrefix = DefaultKeyPrefix
	}
	c.GroupLimits = c.GroupLimits.Resolved()
	if err := checkName("key prefix", c.KeyPrefix); err != nil {
		return c, fmt.Errorf("redisbus: %w", err)
	}
	if c.NodeID == "" {
		c.NodeID = randomID(6)
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if c.NodeTTL <= 0 {
		c.NodeTTL = DefaultNodeTTL
	}
	if c.NodeTTL <= c.HeartbeatInterval {
		return c, fmt.Errorf("redisbus: NodeTTL %v must exceed HeartbeatInterval %v", c.NodeTTL, c.HeartbeatInterval)
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = DefaultSweepInterval
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// randomID returns n random bytes in hex.
func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// NewClient returns a client for the Redis server or Redis Cluster at
// url, with settings suited to the bus unless the URL sets them: 2 s dial,
// read and write timeouts that context deadlines shorten, one dial
// attempt, and no automatic retry, because the bus's scripts publish and
// a blind retry could deliver a message twice (a failed call returns an
// error wrapping bus.ErrUnavailable; its caller decides).
//
// One server (or the primary of a replicated pair):
// redis://[user:password@]host:port[/db], rediss:// for TLS (see
// redis.ParseURL); the result is a *redis.Client.
//
// A Redis Cluster (cluster mode enabled):
// redis+cluster://[user:password@]host:port[,host:port...][?options],
// rediss+cluster:// for TLS; the result is a *redis.ClusterClient. The
// addresses are seeds (an ElastiCache configuration endpoint is enough):
// the client discovers the other nodes and follows MOVED and ASK
// redirections, which are safe to follow because the node that answers
// them did not run the command. The database, if given, must be 0. The
// options are those of redis.ParseClusterURL.
//
// The caller closes the client after every Bus using it.
func NewClient(url string) (redis.UniversalClient, error) {
	if rest, ok := cutClusterScheme(url); ok {
		return newClusterClient(rest)
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redisbus: %w", err)
	}
	clientDefaults(&opt.DialTimeout, &opt.ReadTimeout, &opt.WriteTimeout, &opt.PoolTimeout,
		&opt.DialerRetries, &opt.MaxRetries, &opt.ContextTimeoutEnabled, &opt.Protocol)
	return redis.NewClient(opt), nil
}

// clientDefaults sets the defaults of the options redis.Options and
// redis.ClusterOptions share, where the URL left them unset: 2s dial, read
// and write timeouts, a 3s pool timeout, one dial retry, no command retries
// (a script must not run twice), and contexts that bound every call. It
// also sets RESP2 whatever the URL says (see subscriptionProtocol).
func clientDefaults(dial, read, write, pool *time.Duration, dialerRetries, maxRetries *int, ctxTimeout *bool, protocol *int) {
	*protocol = subscriptionProtocol
	setDefault(dial, 2*time.Second)
	setDefault(read, 2*time.Second)
	setDefault(write, 2*time.Second)
	setDefault(pool, 3*time.Second)
	if *dialerRetries == 0 {
		*dialerRetries = 1
	}
	if *maxRetries == 0 {
		*maxRetries = -1
	}
	*ctxTimeout = true
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d == 0 {
		*d = v
	}
}
